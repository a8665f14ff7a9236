"""Write a topology as Graphviz DOT: networks as rounded bars, hosts as boxes, routers apart.

The labels are Graphviz HTML-like labels (bold names, smaller grey detail), escaped here, so a
name with `<` or `&` in it cannot break the file.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from toolkit.topology.layout import network_id, oriented_edges, service_id
from toolkit.topology.model import NetworkNode, ServiceNode, Topology

FONT = "DejaVu Sans"
NETWORK_FILL = "#dbe9ff"
HOST_FILL = "#f4f4f4"
ROUTER_FILL = "#ffe3b3"
ROUTER_BORDER = "#b36b00"
HOST_BORDER = "#666666"
DETAIL_COLOUR = "#555555"
NO_LABEL = '""'
BUS_HEIGHT_PER_LEG = 0.9  # inches of network bar per attached interface


def to_dot(topology: Topology, *, titled: bool = True) -> str:
    """The whole picture as DOT text; `titled` puts the exercise's title and whose addresses
    these are on top (a page that says so itself leaves it out)."""
    lines = [
        f"graph {_quote(topology.project)} {{",
        f'  graph [rankdir=LR, fontname="{FONT}", fontsize=14, labelloc=t, pad=0.3, '
        "nodesep=0.3, ranksep=0.35, splines=true, newrank=true,",
        f"         label={_title(topology) if titled else NO_LABEL}];",
        f'  node [fontname="{FONT}", fontsize=11, margin="0.15,0.08"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#445566", penwidth=1.3];',
    ]
    legs = Counter(leg.network for service in topology.services for leg in service.interfaces)
    lines += [
        f"  {_quote(network_id(n.name))} [{_network_attributes(n, legs[n.name])}];" for n in topology.networks
    ]
    lines += [f"  {_quote(service_id(s.name))} [{_service_attributes(s)}];" for s in topology.services]
    for index, edge in enumerate(oriented_edges(topology)):
        # The label is a node of its own on the edge: it sits on its line, never between two.
        leg = _quote(f"leg:{index}")
        label = _html_lines([(edge.interface, True), (edge.address or "(assigned at start)", False)])
        lines.append(
            f'  {leg} [shape=box, style="rounded,filled", fillcolor=white, color="#99aabb", '
            f'margin="0.06,0.03", height=0.3, label={label}];'
        )
        lines.append(f"  {_quote(edge.tail)} -- {leg} -- {_quote(edge.head)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(topology: Topology) -> str:
    heading = topology.title or topology.project
    if topology.source == "engine":
        whose = f"project {topology.project}, as running on {topology.engine or 'the engine'}"
    else:
        whose = f"project {topology.project}, addresses from the exercise file"
    return (
        f'<<b>{escape(heading)}</b><br/><font point-size="10" color="{DETAIL_COLOUR}">{escape(whose)}</font>>'
    )


def _network_attributes(network: NetworkNode, legs: int) -> str:
    # A network is a bus: a bar as tall as the hosts on it, so each edge leaves it level with
    # its host and its label sits above its own edge, not between two of them.
    name, *details = network.label_lines
    style = "rounded,filled,dashed" if network.internal else "rounded,filled"
    label = _html_lines([(name, True), *((line, False) for line in details)])
    height = max(0.8, BUS_HEIGHT_PER_LEG * legs)
    return (
        f'shape=box, style="{style}", fillcolor="{NETWORK_FILL}", color="#5577aa", '
        f"height={height:.2f}, label={label}"
    )


def _service_attributes(service: ServiceNode) -> str:
    title = service.hostname if service.hostname == service.name else f"{service.hostname} ({service.name})"
    rows: list[tuple[str, bool]] = [(f"{title}", True)]
    if service.is_router:
        rows.append(("router, forwards IPv4", False))
    rows.append((service.image, False))
    rows += [(f"port {port.label}", False) for port in service.ports]
    label = _html_lines(rows)
    if service.is_router:
        style, fill, border = "rounded,filled,bold", ROUTER_FILL, ROUTER_BORDER
    else:
        style, fill, border = "filled", HOST_FILL, HOST_BORDER
    return f'shape=box, style="{style}", fillcolor="{fill}", color="{border}", label={label}'


def _html_lines(rows: list[tuple[str, bool]]) -> str:
    """An HTML-like label: bold rows in black, the others smaller and grey."""
    parts = []
    for text, bold in rows:
        if bold:
            parts.append(f"<b>{escape(text)}</b>")
        else:
            parts.append(f'<font point-size="9" color="{DETAIL_COLOUR}">{escape(text)}</font>')
    return "<" + "<br/>".join(parts) + ">"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace("\\", "\\\\").replace('"', '\\"') + '"'
