"""One reachability table for every network kind labkit supports, the same on both engines.

A Compose stack with two bridge networks (lan1, lan2) and two `internal: true` ones (back1,
back2), static and dynamic addresses, a service on two networks (app) and a router on all four.
Each table says, for pings from one service to another (or to an address of the host), whether
Docker lets them through; the same table must hold on Podman:

- within a network: always;
- across networks through the router, once the hosts route via it: between bridges yes, into or
  out of an internal network never (Docker drops any frame on an internal bridge whose source or
  destination is outside its subnet);
- to this host, at its address on an interface that is no container bridge: yes from every
  network (Docker gives a container on internal networks only a default route via the bridge's
  address too, and the host answers for all its addresses);
- beyond the host, to a test host in a network namespace this module makes (routed by the host
  like any outside address, and never an address off the machine): from bridges yes, from
  internal networks no.
"""

from __future__ import annotations

import ipaddress
import random
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.compose import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

pytestmark = pytest.mark.engine

COMPOSE = """\
name: parity
x-box: &box
  image: {image}
  init: true
  command: [sleep, "3600"]
  cap_add: [NET_ADMIN]
services:
  router:
    <<: *box
    sysctls: {{net.ipv4.ip_forward: "1"}}
    networks:
      lan1: {{ipv4_address: {lan1}.254}}
      lan2: {{ipv4_address: {lan2}.254}}
      back1: {{ipv4_address: {back1}.254}}
      back2: {{ipv4_address: {back2}.254}}
  a1:
    <<: *box
    hostname: a1host
    domainname: lab.test
    extra_hosts: ["gw.lab:10.1.2.3"]
    networks: {{lan1: {{ipv4_address: {lan1}.10}}}}
  a2: {{<<: *box, networks: [lan1]}}
  b1: {{<<: *box, networks: [lan2]}}
  i1: {{<<: *box, networks: {{back1: {{ipv4_address: {back1}.10}}}}}}
  i2: {{<<: *box, networks: [back1]}}
  j1: {{<<: *box, networks: [back2]}}
  app: {{<<: *box, networks: [lan1, back1]}}
networks:
  lan1: {{ipam: {{config: [{{subnet: {lan1}.0/24}}]}}}}
  lan2: {{ipam: {{config: [{{subnet: {lan2}.0/24}}]}}}}
  back1: {{internal: true, ipam: {{config: [{{subnet: {back1}.0/24}}]}}}}
  back2: {{internal: true, ipam: {{config: [{{subnet: {back2}.0/24}}]}}}}
"""

# (from, to) -> reachable; `to` is "service@network", "host" (an address of this host) or
# "beyond" (a test host routed by this host).
WITHIN = {
    ("a1", "a2@lan1"): True,  # static -> dynamic, bridge
    ("a2", "a1@lan1"): True,
    ("i1", "i2@back1"): True,  # static -> dynamic, internal
    ("i2", "i1@back1"): True,
    ("app", "a1@lan1"): True,  # a service on two networks, on each
    ("app", "i1@back1"): True,
    ("i2", "app@back1"): True,
    ("a1", "i1@back1"): False,  # no route to a network the service is not on
}
ACROSS_BEFORE = {("a1", "b1@lan2"): False, ("i1", "j1@back2"): False}
ACROSS_AFTER = {
    ("a1", "b1@lan2"): True,  # bridge -> bridge through the router
    ("b1", "a1@lan1"): True,
    ("i1", "j1@back2"): False,  # internal -> internal: never routed
    ("j1", "i1@back1"): False,
    ("a1", "i1@back1"): False,  # bridge -> internal: never routed
}
OUTSIDE = {
    ("a1", "host"): True,
    ("b1", "host"): True,
    ("app", "host"): True,
    ("i1", "host"): True,
    ("j1", "host"): True,
    ("a1", "beyond"): True,
    ("a2", "beyond"): True,
    ("b1", "beyond"): True,
    ("app", "beyond"): True,
    ("i1", "beyond"): False,
    ("i2", "beyond"): False,
    ("j1", "beyond"): False,
}


def host_address() -> str:
    """An IPv4 address of this host on an interface that is no bridge (so no container's gateway)."""
    listing = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines():
        words = line.split()
        interface, address = words[1], words[3].split("/")[0]
        if interface != "lo" and not Path(f"/sys/class/net/{interface}/bridge").exists():
            return address
    pytest.skip("this host has no address outside loopback and bridges to ping")


@dataclass
class Parity:
    runtime: Runtime
    project: str
    prefixes: dict[str, str]  # network key -> first three octets
    ips: dict[str, dict[str, str]]  # service -> network key -> address
    host: str
    beyond: str

    def container(self, service: str) -> str:
        return naming.container_name(self.project, service)

    def address(self, target: str) -> str:
        if target in ("host", "beyond"):
            return self.host if target == "host" else self.beyond
        service, network = target.split("@")
        return self.ips[service][network]

    def reaches(self, source: str, target: str) -> bool:
        argv = ["ping", "-c", "1", "-W", "2", self.address(target)]
        return self.runtime.exec(self.container(source), argv, timeout=15).ok

    def table(self, expected: dict[tuple[str, str], bool]) -> dict[tuple[str, str], bool]:
        """The same pings as `expected`, their results measured (in parallel)."""
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = pool.map(lambda pair: self.reaches(*pair), expected)
        return dict(zip(expected, results, strict=True))

    def route(self, service: str, network: str, via: str) -> None:
        subnet = f"{self.prefixes[network]}.0/24"
        result = self.runtime.exec(self.container(service), ["ip", "route", "replace", subnet, "via", via])
        assert result.ok, result


def _prefixes() -> dict[str, str]:
    second, third = random.randint(150, 249), random.randint(0, 251)
    return {key: f"10.{second}.{third + n}" for n, key in enumerate(("lan1", "lan2", "back1", "back2"))}


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True)


@pytest.fixture(scope="module")
def beyond_the_host() -> Iterator[str]:
    """The address of a test host in a network namespace of its own, routed by this host."""
    name = f"lkt{uuid.uuid4().hex[:8]}"
    prefix = f"10.{random.randint(150, 249)}.{random.randint(0, 255)}"
    try:
        _ip("netns", "add", name)
        _ip("link", "add", f"{name}h", "type", "veth", "peer", "name", f"{name}n", "netns", name)
        _ip("addr", "add", f"{prefix}.1/30", "dev", f"{name}h")
        _ip("link", "set", f"{name}h", "up")
        _ip("-n", name, "addr", "add", f"{prefix}.2/30", "dev", f"{name}n")
        _ip("-n", name, "link", "set", f"{name}n", "up")
        _ip("-n", name, "route", "add", "default", "via", f"{prefix}.1")
    except (OSError, subprocess.CalledProcessError) as exc:
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
        pytest.skip(f"cannot make a test host in a network namespace here: {exc}")
    yield f"{prefix}.2"
    subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)  # its veth goes too


@pytest.fixture(scope="module")
def parity(
    runtime: Runtime, busybox_image: str, tmp_path_factory: pytest.TempPathFactory, beyond_the_host: str
) -> Iterator[Parity]:
    """The stack, up once per engine for the module's tests (which only read it or add routes)."""
    prefixes = _prefixes()
    folder = tmp_path_factory.mktemp("parity")
    (folder / "compose.yaml").write_text(COMPOSE.format(image=busybox_image, **prefixes))
    project = f"lkt-parity-{random.randint(0, 1 << 32):08x}"
    try:
        result = up(runtime, load_stack(folder / "compose.yaml", environ={}), project=project)
        ips = {status.service: dict(status.ips) for status in result.services}
        yield Parity(runtime, project, prefixes, ips, host_address(), beyond_the_host)
    finally:
        down(runtime, project, volumes=True)


def test_every_service_has_an_address_on_each_of_its_networks(parity: Parity) -> None:
    assert parity.ips["a1"] == {"lan1": f"{parity.prefixes['lan1']}.10"}
    assert set(parity.ips["app"]) == {"lan1", "back1"}
    for service, network in (("a2", "lan1"), ("i2", "back1"), ("j1", "back2"), ("app", "back1")):
        address = ipaddress.ip_address(parity.ips[service][network])
        assert address in ipaddress.ip_network(f"{parity.prefixes[network]}.0/24")


def test_reachability_within_a_network(parity: Parity) -> None:
    assert parity.table(WITHIN) == WITHIN


def test_reachability_to_the_outside(parity: Parity) -> None:
    assert parity.table(OUTSIDE) == OUTSIDE


def test_reachability_across_networks_through_the_router(parity: Parity) -> None:
    assert parity.table(ACROSS_BEFORE) == ACROSS_BEFORE

    router = parity.ips["router"]
    parity.route("a1", "lan2", router["lan1"])
    parity.route("a1", "back1", router["lan1"])
    parity.route("b1", "lan1", router["lan2"])
    parity.route("i1", "back2", router["back1"])
    parity.route("i1", "lan1", router["back1"])
    parity.route("j1", "back1", router["back2"])

    assert parity.table(ACROSS_AFTER) == ACROSS_AFTER


# ---------------------------------------------------------------- what a student sees


def lines(parity: Parity, service: str, command: str) -> list[str]:
    result = parity.runtime.exec(parity.container(service), ["sh", "-c", command])
    assert result.ok, result
    return result.stdout.splitlines()


def default_routes(parity: Parity, service: str) -> list[list[str]]:
    """`route -n`'s default routes: [gateway, metric, interface] each."""
    table = lines(parity, service, "route -n")
    return [[w[1], w[4], w[7]] for w in (line.split() for line in table) if w[:1] == ["0.0.0.0"]]


def test_route_n_shows_one_default_route_as_docker_does(parity: Parity) -> None:
    """One default route, metric 0, via the first non-internal network's gateway (else the
    internal one's); so the lesson's `ip route replace default via ROUTER` leaves one."""
    lan1, back1 = parity.prefixes["lan1"], parity.prefixes["back1"]
    assert default_routes(parity, "a1") == [[f"{lan1}.1", "0", "eth0"]]
    assert default_routes(parity, "i1") == [[f"{back1}.1", "0", "eth0"]]
    [[gateway, metric, _]] = default_routes(parity, "app")
    assert (gateway, metric) == (f"{lan1}.1", "0")

    router = parity.ips["router"]["lan1"]
    lines(parity, "a2", f"ip route replace default via {router}")

    assert default_routes(parity, "a2") == [[router, "0", "eth0"]]


def test_etc_hosts_holds_localhost_extra_hosts_and_the_containers_own_names(parity: Parity) -> None:
    """Docker's file: no entry of the host's own /etc/hosts, no engine-specific names."""
    a1 = parity.ips["a1"]["lan1"]
    assert lines(parity, "a1", "cat /etc/hosts") == [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
        "10.1.2.3\tgw.lab",
        f"{a1}\ta1host.lab.test a1host",
    ]
    hostname = lines(parity, "app", "hostname")[0]
    own = [
        line for line in lines(parity, "app", "cat /etc/hosts") if not line.startswith(("127.", "::1", "f"))
    ]
    assert sorted(own) == sorted(f"{parity.ips['app'][n]}\t{hostname}" for n in ("lan1", "back1"))


def test_resolv_conf_names_one_resolver_and_no_engine_search_domain(parity: Parity) -> None:
    for service in ("a1", "i1", "app"):
        conf = lines(parity, service, "cat /etc/resolv.conf")
        assert len([line for line in conf if line.startswith("nameserver ")]) == 1, conf
        assert not [line for line in conf if line.startswith("search")], conf
        assert "options ndots:0" in conf


def test_names_resolve_on_every_network_kind_and_unknown_names_do_not(parity: Parity) -> None:
    """The outcome is the same on both engines; how long a failed lookup takes is not (Docker's
    resolver waits for the host's name servers; Podman's answers at once), and is not checked."""
    for source, target in (("a1", "a2@lan1"), ("i1", "i2@back1"), ("app", "i1@back1")):
        answer = lines(parity, source, f"nslookup {target.split('@')[0]}")
        assert any(parity.address(target) in line for line in answer), answer
    missing = parity.runtime.exec(parity.container("a1"), ["nslookup", "no-such-service"], timeout=60)
    assert not missing.ok
