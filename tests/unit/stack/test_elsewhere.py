"""Subnets beyond one engine: the host's interfaces from /proc/net/route, other engines first."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

from toolkit.runtime.select import EngineChoice
from toolkit.stack.elsewhere import host_links, subnets_elsewhere

ROUTES = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
podman4\t0000280A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t000010AC\t010200C0\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0
br-1\t0001590A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def test_host_links_are_the_interfaces_subnets_without_default_or_gateway_routes() -> None:
    assert host_links(ROUTES) == {
        "the host's interface podman4": IPv4Network("10.40.0.0/24"),
        "the host's interface br-1": IPv4Network("10.89.1.0/24"),
    }


def test_unreadable_routes_and_no_other_engine_leave_nothing(tmp_path: Path) -> None:
    assert subnets_elsewhere("docker", choices=list, routes=tmp_path / "missing") == {}


def test_other_engines_networks_come_first_and_their_bridges_are_not_listed_twice(tmp_path: Path) -> None:
    routes = tmp_path / "route"
    routes.write_text(ROUTES)
    docker = EngineChoice("docker", "/run/docker.sock", "detected")
    podman = EngineChoice("podman", "/run/podman/podman.sock", "detected")

    def listing(choice: EngineChoice) -> list[tuple[str, str]]:
        assert choice is podman  # the engine `up` works on is not asked
        return [("trial3-lan1", "10.40.0.0/24"), ("ipv6", "fd00::/64")]

    found = subnets_elsewhere("docker", choices=lambda: [docker, podman], routes=routes, listing=listing)
    assert found == {
        "podman network 'trial3-lan1'": IPv4Network("10.40.0.0/24"),
        "the host's interface br-1": IPv4Network("10.89.1.0/24"),
    }
