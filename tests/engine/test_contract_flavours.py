"""What still differs between the engines above the seam, pinned per engine.

The rest of the contract holds on every engine alike. These cases say, for each engine, what
labkit's adapter shows where Docker and Podman still differ, and run on the fake's matching
flavour too, so that `FakeRuntime("podman")` differs from `FakeRuntime("docker")` exactly as
Podman differs from Docker.
"""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest

from tests.engine.conftest import busybox_rootfs_tar, on_fake_and_engines
from tests.engine.test_contract import Lab, lab_fixture  # noqa: F401 (a fixture)
from tests.engine.test_contract_networks import free_subnet, prefix_of
from toolkit.errors import EngineError, NotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import NetworkAttachment

pytestmark = [pytest.mark.engine, on_fake_and_engines]


def test_engine_chosen_subnets_come_from_the_engines_pool(runtime: Runtime, lab: Lab) -> None:
    chosen = lab.network()

    assert chosen.subnet and chosen.gateway
    subnet = ip_network(chosen.subnet)
    if runtime.info().name == "docker":  # /16s of 172.17-31, then /20s of 192.168
        assert subnet.prefixlen in (16, 20)
        assert subnet.subnet_of(ip_network("172.16.0.0/12")) or subnet.subnet_of(ip_network("192.168.0.0/16"))
    else:  # /24s of 10.89
        assert subnet.prefixlen == 24 and subnet.subnet_of(ip_network("10.89.0.0/16"))
    assert chosen.gateway == str(subnet.network_address + 1)


def test_a_subnet_without_a_gateway_reports_one_on_podman_only(runtime: Runtime, lab: Lab) -> None:
    network = lab.network(subnet=free_subnet())

    assert network.subnet
    expected = None if runtime.info().name == "docker" else f"{prefix_of(network.subnet)}.1"
    assert network.gateway == expected


def test_static_addresses_docker_refuses_and_podman_accepts(runtime: Runtime, lab: Lab) -> None:
    declared = lab.network("declared", subnet=free_subnet(), gateway=None)
    chosen = lab.network("chosen")
    assert declared.subnet and chosen.subnet
    reserved = f"{prefix_of(declared.subnet)}.1"  # Docker's gateway, though it reports none
    on_chosen = str(ip_network(chosen.subnet).network_address + 50)
    attempts = {
        "gateway": NetworkAttachment(declared.name, reserved),
        "chosen": NetworkAttachment(chosen.name, on_chosen),
    }

    for suffix, attachment in attempts.items():
        if runtime.info().name == "docker":
            with pytest.raises(EngineError) as caught:
                lab.container(suffix, networks=(attachment,))
            assert not isinstance(caught.value, NotFound)
        else:
            container = lab.container(suffix, networks=(attachment,))
            assert runtime.inspect_container(container).ips == {attachment.network: attachment.ipv4_address}


def test_a_network_a_stopped_container_names_is_removed_on_docker_only(runtime: Runtime, lab: Lab) -> None:
    network = lab.network(subnet=free_subnet())
    container = lab.container(networks=(NetworkAttachment(network.name),))
    runtime.stop_container(container, timeout=5)

    if runtime.info().name == "docker":
        runtime.remove_network(network.name)
        assert network.name not in {n.name for n in runtime.list_networks({"io.labkit.project": lab.prefix})}
    else:
        with pytest.raises(EngineError) as caught:
            runtime.remove_network(network.name)
        assert not isinstance(caught.value, NotFound)
        assert runtime.inspect_network(network.name) == network


def test_a_forced_removal_by_id_of_a_twice_tagged_image(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    ref, other = f"labkit-test/{lab.prefix}:own", f"labkit-test/{lab.prefix}:other"
    lab.images += [ref, other]
    own = runtime.import_rootfs(busybox_rootfs_tar(tmp_path / "rootfs.tar"), ref, labels=dict(lab.labels))
    runtime.tag_image(ref, other)

    if runtime.info().name == "docker":
        runtime.remove_image(own.id, force=True)
        assert not runtime.image_exists(ref) and not runtime.image_exists(other)
    else:
        with pytest.raises(EngineError) as caught:
            runtime.remove_image(own.id, force=True)
        assert not isinstance(caught.value, NotFound)
        assert runtime.image_exists(ref) and runtime.image_exists(other)


def test_the_exec_user_is_spelled_for_podman(runtime: Runtime, lab: Lab) -> None:
    container = lab.container(user="nobody")

    own_user = runtime.exec_user(container, None)
    named = runtime.exec_user(container, "nobody")

    if runtime.info().name == "docker":
        assert (own_user, named) == (None, "nobody")
    else:  # the configured user's own spelling keeps Docker's capabilities (podman/users.py)
        assert (own_user, named) == ("nobody:", "nobody:")
    assert runtime.exec_user(container, "root") == "root"
