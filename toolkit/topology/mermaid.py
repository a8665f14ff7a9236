"""Write a topology as a Mermaid flowchart, the picture Markdown pages carry as text.

Node ids are generated (n0, n1, ...) so that any Compose key is safe; labels are quoted, with
the characters Mermaid would read as syntax written as its entity codes.
"""

from __future__ import annotations

from toolkit.topology.layout import network_id, oriented_edges, service_id
from toolkit.topology.model import NetworkNode, ServiceNode, Topology

_ENTITIES = {"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "#": "#35;"}


def to_mermaid(topology: Topology) -> str:
    """The whole picture as a Mermaid `flowchart LR`."""
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for network in topology.networks:
        ids[network_id(network.name)] = node = f"n{len(ids)}"
        lines.append(f'  {node}(["{_network_label(network)}"])')
    for service in topology.services:
        ids[service_id(service.name)] = node = f"n{len(ids)}"
        if service.is_router:
            lines.append(f'  {node}{{{{"{_service_label(service)}"}}}}')
        else:
            lines.append(f'  {node}["{_service_label(service)}"]')
    for edge in oriented_edges(topology):
        label = _text(f"{edge.interface} {edge.address or '(assigned at start)'}")
        lines.append(f'  {ids[edge.tail]} ---|"{label}"| {ids[edge.head]}')
    lines += [
        "  classDef network fill:#dbe9ff,stroke:#5577aa",
        "  classDef internal fill:#dbe9ff,stroke:#5577aa,stroke-dasharray:5 5",
        "  classDef router fill:#ffe3b3,stroke:#b36b00,stroke-width:2px",
        "  classDef host fill:#f4f4f4,stroke:#666666",
    ]
    for network in topology.networks:
        kind = "internal" if network.internal else "network"
        lines.append(f"  class {ids[network_id(network.name)]} {kind}")
    for service in topology.services:
        kind = "router" if service.is_router else "host"
        lines.append(f"  class {ids[service_id(service.name)]} {kind}")
    return "\n".join(lines) + "\n"


def _network_label(network: NetworkNode) -> str:
    name, *details = network.label_lines
    return "<br/>".join([f"<b>{_text(name)}</b>", *(_text(line) for line in details)])


def _service_label(service: ServiceNode) -> str:
    title = service.hostname if service.hostname == service.name else f"{service.hostname} ({service.name})"
    rows = [f"<b>{_text(title)}</b>"]
    if service.is_router:
        rows.append("router, forwards IPv4")
    rows.append(_text(service.image))
    rows += [_text(f"port {port.label}") for port in service.ports]
    return "<br/>".join(rows)


def _text(value: str) -> str:
    return "".join(_ENTITIES.get(char, char) for char in value)
