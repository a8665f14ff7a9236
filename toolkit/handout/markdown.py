"""Write a handout as Markdown: the picture as a Mermaid block, the rest as text and tables."""

from __future__ import annotations

from toolkit.handout.page import Handout, network_kind, service_role
from toolkit.handout.text import paragraphs
from toolkit.topology.mermaid import to_mermaid


def to_markdown(handout: Handout) -> str:
    """The whole page as Markdown."""
    topology = handout.topology
    lines = [
        f"# {handout.title}",
        "",
        f"Exercise `{handout.exercise}`, {handout.whose}.",
        "",
        "```mermaid",
        to_mermaid(topology).rstrip(),
        "```",
        "",
        "## Your task",
        "",
    ]
    for paragraph in paragraphs(handout.text):
        lines += [paragraph, ""]
    lines += ["## Networks", "", "| network | subnet | gateway | kind |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {_cell(n.name)} | {n.subnet or 'chosen at start'} | {n.gateway or '-'} | "
        f"{network_kind(n.internal)} |"
        for n in topology.networks
    ]
    lines += [
        "",
        "## Hosts",
        "",
        "| host | role | interface | network | address |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {_cell(s.hostname)} | {service_role(s.is_router)} | {leg.name} | {_cell(leg.network)} | "
        f"{leg.address or 'assigned at start'} |"
        for s in topology.services
        for leg in s.interfaces
    ]
    lines += ["", "## Checks", ""]
    for index, check in enumerate(handout.checks, 1):
        points = f" ({check.points_text})" if check.points is not None else ""
        note = "" if check.graded else " *(ungraded: passes from the start, a sign the lab works)*"
        lines.append(f"{index}. {check.name}{points}{note}")
    if not handout.checks:
        lines.append("This exercise has no checks.")
    lines += ["", "## Start and check the lab", ""]
    for command in handout.commands:
        lines += [f"{command.purpose}:", "", "```sh", command.line, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
