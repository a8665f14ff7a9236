"""Engine contract, networks: lifecycle, static IPs, names and aliases, published ports."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from ipaddress import ip_address, ip_network

import pytest

from tests.engine.conftest import needs_engine, on_fake_and_engines
from tests.engine.test_contract import Lab, lab_fixture, run, wait_for  # noqa: F401 (a fixture)
from toolkit.errors import EngineError, NameConflict, NetworkNotFound, NotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import NetworkAttachment, NetworkSpec, PortBinding

pytestmark = [pytest.mark.engine, on_fake_and_engines]


def free_subnet() -> str:
    """A /24 unlikely to overlap another test's: 10.150-249.x, clear of Podman's 10.88/10.89."""
    number = uuid.uuid4().int
    return f"10.{150 + number % 100}.{(number >> 8) % 256}.0/24"


def prefix_of(subnet: str) -> str:
    return subnet.rsplit(".", 1)[0]


def test_network_lifecycle(runtime: Runtime, lab: Lab) -> None:
    subnet = free_subnet()
    gateway = f"{prefix_of(subnet)}.1"

    created = lab.network(subnet=subnet, gateway=gateway, internal=True)

    assert (created.name, created.subnet, created.gateway, created.internal) == (
        lab.name("net"),
        subnet,
        gateway,
        True,
    )
    assert created.labels["io.labkit.project"] == lab.prefix
    assert runtime.inspect_network(created.name) == created
    assert runtime.list_networks({"io.labkit.project": lab.prefix}) == [created]
    assert created.name in {n.name for n in runtime.list_networks({"io.labkit.project": None})}
    with pytest.raises(NameConflict):
        runtime.create_network(NetworkSpec(name=created.name, labels=dict(lab.labels)))

    runtime.remove_network(created.name)

    with pytest.raises(NetworkNotFound):
        runtime.inspect_network(created.name)
    with pytest.raises(NetworkNotFound):
        runtime.remove_network(created.name)
    assert runtime.list_networks({"io.labkit.project": lab.prefix}) == []


def test_an_engine_chosen_subnet_is_reported(runtime: Runtime, lab: Lab) -> None:
    created = lab.network()

    assert created.subnet and created.gateway
    assert not created.internal


@needs_engine("real packets and name resolution")
def test_containers_reach_each_other_by_ip_name_and_alias(runtime: Runtime, lab: Lab) -> None:
    front, back = lab.network("front", subnet=free_subnet()), lab.network("back", subnet=free_subnet())
    assert front.subnet and back.subnet
    a_front, a_back, b_back = (
        f"{prefix_of(front.subnet)}.10",
        f"{prefix_of(back.subnet)}.10",
        f"{prefix_of(back.subnet)}.20",
    )
    # Docker grants NET_RAW (for ping) by default, Podman does not: ask for it.
    alpha = lab.container(
        "alpha",
        hostname="alpha-host",
        cap_add=("NET_RAW",),
        networks=(
            NetworkAttachment(front.name, a_front, ("alpha-front",)),
            NetworkAttachment(back.name, a_back, ("alpha-back",)),
        ),
    )
    beta = lab.container(
        "beta",
        cap_add=("NET_RAW",),
        networks=(NetworkAttachment(back.name, b_back, ("beta-alias",)),),
    )

    assert runtime.inspect_container(alpha).ips == {front.name: a_front, back.name: a_back}
    assert runtime.inspect_container(beta).ips == {back.name: b_back}
    assert run(runtime, alpha, "hostname") == "alpha-host"
    for source, target in (
        (beta, a_back),
        (beta, lab.name("alpha")),
        (beta, "alpha-back"),
        (alpha, b_back),
        (alpha, lab.name("beta")),
        (alpha, "beta-alias"),
    ):
        result = runtime.exec(source, ["ping", "-c1", "-W2", target])
        assert result.ok, (target, result)
    resolved = run(runtime, beta, "nslookup alpha-back || true")
    assert a_back in resolved


@needs_engine("a real server and host port")
def test_a_published_port_is_reachable_from_the_host(runtime: Runtime, lab: Lab) -> None:
    script = "mkdir -p /www && echo hello-from-lab > /www/index.html && exec httpd -f -p 80 -h /www"
    container = lab.container(command=("sh", "-c", script), ports=(PortBinding(80, host_ip="127.0.0.1"),))

    published = runtime.inspect_container(container).ports
    assert [(p.container_port, p.protocol, p.host_ip) for p in published] == [(80, "tcp", "127.0.0.1")]
    assert published[0].host_port
    url = f"http://127.0.0.1:{published[0].host_port}/index.html"

    def fetch() -> str:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, ConnectionError):
            return ""  # httpd may not listen yet

    assert wait_for(fetch, attempts=50).strip() == "hello-from-lab"


def test_engine_chosen_subnets_hold_their_gateway_and_do_not_overlap(runtime: Runtime, lab: Lab) -> None:
    first, second = lab.network("one"), lab.network("two")

    assert first.subnet and second.subnet and first.gateway and second.gateway
    one, two = ip_network(first.subnet), ip_network(second.subnet)
    assert not one.overlaps(two)
    assert ip_address(first.gateway) in one and ip_address(second.gateway) in two
    container = lab.container(networks=(NetworkAttachment(first.name),))
    address = runtime.inspect_container(container).ips[first.name]
    assert ip_address(address) in one and address != first.gateway


def test_an_overlapping_subnet_is_refused(runtime: Runtime, lab: Lab) -> None:
    subnet = ip_network(free_subnet())
    lab.network("taken", subnet=str(subnet))

    for number, clash in enumerate(
        (subnet, subnet.supernet(new_prefix=20), next(subnet.subnets(new_prefix=25)))
    ):
        with pytest.raises(EngineError) as caught:
            lab.network(f"clash{number}", subnet=str(clash))
        assert not isinstance(caught.value, (NameConflict, NotFound)), clash

    assert [n.name for n in runtime.list_networks({"io.labkit.project": lab.prefix})] == [lab.name("taken")]


def test_a_static_address_outside_the_subnet_or_taken_is_refused(runtime: Runtime, lab: Lab) -> None:
    network = lab.network(subnet=free_subnet())
    assert network.subnet
    inside = f"{prefix_of(network.subnet)}.10"
    outside = str(ip_network(network.subnet).broadcast_address + 11)  # in the next /24

    with pytest.raises(EngineError) as caught:
        lab.container("outside", networks=(NetworkAttachment(network.name, outside),))
    assert not isinstance(caught.value, NotFound)
    assert not runtime.inspect_container(lab.name("outside")).running
    holder = lab.container("holder", networks=(NetworkAttachment(network.name, inside),))
    assert runtime.inspect_container(holder).ips == {network.name: inside}
    with pytest.raises(EngineError) as caught:
        lab.container("twin", networks=(NetworkAttachment(network.name, inside),))
    assert not isinstance(caught.value, NotFound)
    assert not runtime.inspect_container(lab.name("twin")).running
