"""Where things go in a picture: which way each edge points, so the drawing reads as a path.

Graphviz ranks nodes along its edges' directions. Pointing every edge away from the first
network (a breadth-first walk of the network/service graph) puts the first LAN at the start,
its hosts and routers next, the networks behind the routers after them, and so on: the path a
packet takes, with no edge running backwards across another.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from toolkit.topology.model import Topology

NETWORK_PREFIX = "net:"
SERVICE_PREFIX = "svc:"


@dataclass(frozen=True)
class OrientedEdge:
    tail: str  # a node id: "net:<key>" or "svc:<key>"
    head: str
    interface: str  # the interface's name
    address: str | None
    service: str
    network: str


def network_id(name: str) -> str:
    return NETWORK_PREFIX + name


def service_id(name: str) -> str:
    return SERVICE_PREFIX + name


def depths(topology: Topology) -> dict[str, int]:
    """Breadth-first distance of every node from the first network of its connected part."""
    neighbours: dict[str, list[str]] = {network_id(n.name): [] for n in topology.networks}
    for service in topology.services:
        neighbours.setdefault(service_id(service.name), [])
        for leg in service.interfaces:
            neighbours.setdefault(network_id(leg.network), [])
            neighbours[service_id(service.name)].append(network_id(leg.network))
            neighbours[network_id(leg.network)].append(service_id(service.name))
    found: dict[str, int] = {}
    # Networks first, in file order, so each part starts from its first network if it has one.
    starts = [network_id(n.name) for n in topology.networks] + list(neighbours)
    for start in starts:
        if start in found:
            continue
        found[start] = 0
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other in neighbours[node]:
                if other not in found:
                    found[other] = found[node] + 1
                    queue.append(other)
    return found


def oriented_edges(topology: Topology) -> tuple[OrientedEdge, ...]:
    """Every interface as an edge pointing away from the first network."""
    depth = depths(topology)
    edges = []
    for service in topology.services:
        for leg in service.interfaces:
            svc, net = service_id(service.name), network_id(leg.network)
            tail, head = (net, svc) if depth[net] <= depth[svc] else (svc, net)
            edges.append(OrientedEdge(tail, head, leg.name, leg.address, service.name, leg.network))
    return tuple(edges)
