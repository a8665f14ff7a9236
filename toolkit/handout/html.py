"""Write a handout as one self-contained HTML page: inline CSS, inline SVG, no URL at all.

The page fetches nothing (a lab room may have no network, and a page that loads nothing leaks
nothing): Graphviz's SVG goes in without its XML prolog, its DOCTYPE (which names a URL) and
its namespace declarations, which HTML does not need for inline SVG.
"""

from __future__ import annotations

import re
from html import escape

from toolkit.handout.page import Handout, network_kind, service_role
from toolkit.handout.text import inline_html, paragraphs

_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_XLINK = re.compile(r"\bxlink:(?=\w)")

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1d1d1d; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .whose { color: #555; margin-top: 0; }
figure { margin: 1rem 0; text-align: center; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #eef3fb; } code, pre { font-family: "DejaVu Sans Mono", monospace; }
code { background: #f2f2f2; padding: 0 0.2rem; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6rem; white-space: pre-wrap; }
.ungraded { color: #666; font-style: italic; }
@media print { body { margin: 0; } pre { break-inside: avoid; } }
"""


def inline_svg(svg: str) -> str:
    """Graphviz's SVG as an element to put in an HTML body."""
    element = _PROLOG.sub("", svg)
    element = _NAMESPACES.sub("", element)
    return _XLINK.sub("", element).strip()


def to_html(handout: Handout, svg: str) -> str:
    """The whole page; `svg` is the topology drawn as SVG."""
    topology = handout.topology
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(handout.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(handout.title)}</h1>",
        f'<p class="whose">Exercise <code>{escape(handout.exercise)}</code>, {escape(handout.whose)}</p>',
        f'<figure id="topology">{inline_svg(svg)}</figure>',
        "<h2>Your task</h2>",
        *(f"<p>{inline_html(paragraph)}</p>" for paragraph in paragraphs(handout.text)),
        "<h2>Networks</h2>",
        "<table><tr><th>network</th><th>subnet</th><th>gateway</th><th>kind</th></tr>",
        *(
            f"<tr><td>{escape(n.name)}</td><td>{escape(n.subnet or 'chosen at start')}</td>"
            f"<td>{escape(n.gateway or '-')}</td><td>{network_kind(n.internal)}</td></tr>"
            for n in topology.networks
        ),
        "</table>",
        "<h2>Hosts</h2>",
        "<table><tr><th>host</th><th>role</th><th>interface</th><th>network</th><th>address</th></tr>",
        *(
            f"<tr><td>{escape(s.hostname)}</td><td>{service_role(s.is_router)}</td><td>{escape(leg.name)}</td>"
            f"<td>{escape(leg.network)}</td><td>{escape(leg.address or 'assigned at start')}</td></tr>"
            for s in topology.services
            for leg in s.interfaces
        ),
        "</table>",
        "<h2>Checks</h2>",
        _checks(handout),
        "<h2>Start and check the lab</h2>",
        *(f"<p>{escape(c.purpose)}:</p><pre>{escape(c.line)}</pre>" for c in handout.commands),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _checks(handout: Handout) -> str:
    if not handout.checks:
        return "<p>This exercise has no checks.</p>"
    items = []
    for check in handout.checks:
        points = f" ({check.points_text})" if check.points is not None else ""
        note = (
            ""
            if check.graded
            else ' <span class="ungraded">(ungraded: passes from the start, a sign the lab works)</span>'
        )
        items.append(f"<li>{escape(check.name)}{points}{note}</li>")
    return "<ol>" + "".join(items) + "</ol>"
