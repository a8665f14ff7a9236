"""Subnets in use on this host beyond one engine: other engines' networks and the host's links.

Engines on one host share its routing table, but none sees another's networks. Podman refuses
a subnet any host interface has (Docker's bridges included) with an engine error; Docker
accepts one a Podman network holds, and the host then has two routes for it (a Podman bridge
exists only while a container uses it). So `up` checks the subnets it is about to create
against these as well as against its own engine's networks, before creating anything, and
says the same thing on both engines; renumbering and the self-test avoid them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Network
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.runtime.peek import network_subnets
from toolkit.runtime.select import EngineChoice, available_engines

ROUTES = Path("/proc/net/route")
# /proc/net/route's flags: a route through a gateway is not a network this host is on.
_RTF_GATEWAY = 0x2

Subnets = dict[str, IPv4Network]  # what holds it, in words -> the subnet


def host_links(text: str) -> Subnets:
    """The subnets the host's interfaces are on, from /proc/net/route's text.

    The default route and routes through a gateway are left out: they are no interface's.
    """
    found: Subnets = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        interface, destination, flags, mask = fields[0], fields[1], fields[3], fields[7]
        try:
            if int(flags, 16) & _RTF_GATEWAY or int(mask, 16) == 0:
                continue
            # The file spells addresses as little-endian hex.
            address = ipaddress.IPv4Address(bytes.fromhex(destination)[::-1])
            netmask = ipaddress.IPv4Address(bytes.fromhex(mask)[::-1])
            subnet = IPv4Network(f"{address}/{netmask}", strict=False)
        except ValueError:
            continue
        found[f"the host's interface {interface}"] = subnet
    return found


def host_subnets(routes: Path = ROUTES) -> Subnets:
    """The subnets the host's interfaces are on (`host_links` of the file `routes`); none
    without procfs."""
    try:
        return host_links(routes.read_text())
    except OSError:
        return {}  # not Linux, or no /proc: the engines' own checks still hold


Listing = Callable[[EngineChoice], list[tuple[str, str]]]


def _other_engines(engine: str, choices: Sequence[EngineChoice], listing: Listing) -> Subnets:
    others = [choice for choice in choices if choice.name != engine]

    def listed(choice: EngineChoice) -> Subnets:
        try:
            pairs = listing(choice)
        except ToolkitError:
            return {}  # an engine that stops answering holds nothing we can act on
        found: Subnets = {}
        for name, text in pairs:
            try:
                subnet = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if isinstance(subnet, IPv4Network):
                found[f"{choice.name} network '{name}'"] = subnet
        return found

    if not others:
        return {}
    with ThreadPoolExecutor(len(others), thread_name_prefix="labkit-elsewhere") as pool:
        return {key: subnet for part in pool.map(listed, others) for key, subnet in part.items()}


def other_engines_subnets(
    engine: str,
    *,
    choices: Callable[[], list[EngineChoice]] = available_engines,
    listing: Listing = network_subnets,
) -> Subnets:
    """The subnets of the networks of every engine that answers here but `engine`."""
    return _other_engines(engine, choices(), listing)


def subnets_elsewhere(
    engine: str,
    *,
    choices: Callable[[], list[EngineChoice]] = available_engines,
    routes: Path = ROUTES,
    listing: Listing = network_subnets,
) -> Subnets:
    """The subnets other engines' networks and the host's interfaces hold, for an `up` on
    `engine`; the other engines' first, so a clash names the network rather than its bridge."""
    found = _other_engines(engine, choices(), listing)
    known = set(found.values())
    # A bridge of a network listed already says the same thing less clearly.
    links = {key: subnet for key, subnet in host_subnets(routes).items() if subnet not in known}
    return {**found, **links}
