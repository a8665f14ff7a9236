"""Which interface each of a service's networks gets: one rule, the same on both engines.

Docker numbers a container's interfaces eth0, eth1, ... in the order it sorts the container's
networks when it starts: networks that are not internal first, then by priority (which Docker
20.10's API cannot set: all equal there), then by name; the order in which they were connected
does not count (measured: a service on networks written `zeta, alpha, mid` gets eth0 on alpha,
eth1 on mid, eth2 on zeta under Compose v2, and an internal network comes after the others).
labkit orders a service's networks the same way, with the file's `priority` (highest first), so
a file numbers its interfaces alike under `docker compose` and under labkit on either engine,
and hands the adapters each network's interface name: the service's `interface_name` for that
network, else the next ethN that no other network of the service names. An adapter whose engine
cannot give those names refuses the service in one line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from toolkit.stack.model import ServiceNetwork


def in_interface_order(
    networks: Iterable[ServiceNetwork], internal: Collection[str] = ()
) -> tuple[ServiceNetwork, ...]:
    """The networks in interface order; `internal` holds the keys of internal networks."""
    return tuple(sorted(networks, key=lambda n: (n.network in internal, -n.priority, n.network)))


def interface_names(networks: Iterable[ServiceNetwork], internal: Collection[str] = ()) -> dict[str, str]:
    """Network key -> interface name, in interface order."""
    ordered = in_interface_order(networks, internal)
    taken = {n.interface_name for n in ordered if n.interface_name}
    names: dict[str, str] = {}
    number = 0
    for network in ordered:
        if network.interface_name:
            names[network.network] = network.interface_name
            continue
        while f"eth{number}" in taken:
            number += 1
        names[network.network] = f"eth{number}"
        taken.add(names[network.network])
    return names


def internal_keys(networks: Mapping[str, object]) -> frozenset[str]:
    """The keys of a stack's internal networks (anything with a true `internal`)."""
    return frozenset(key for key, network in networks.items() if getattr(network, "internal", False))


def format_label(names: Mapping[str, str]) -> str:
    """The interface names as one label value: `lan1=eth0,lan2=eth1`."""
    return ",".join(f"{network}={name}" for network, name in names.items())


def parse_label(value: str) -> dict[str, str]:
    """The inverse of format_label; an empty or absent label gives {}."""
    pairs = (item.partition("=") for item in value.split(",") if "=" in item)
    return {network: name for network, _, name in pairs}
