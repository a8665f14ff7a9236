"""Every course exercise's picture, in every format, names every service and every address."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest

from toolkit.stack.compose.loader import load_stack
from toolkit.topology.dot import to_dot
from toolkit.topology.formats import choose_format, draw
from toolkit.topology.from_stack import topology_from_stack
from toolkit.topology.mermaid import to_mermaid
from toolkit.topology.model import Topology

COURSE = Path(__file__).resolve().parents[3] / "compose"
EXERCISES = sorted(folder.name for folder in COURSE.iterdir() if (folder / "compose.yaml").is_file())


def course_topology(name: str) -> Topology:
    return topology_from_stack(load_stack(COURSE / name / "compose.yaml"))


def need_dot() -> None:
    if shutil.which("dot") is None:
        message = "Graphviz's dot is missing: run scripts/provision-engines"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


def test_the_course_has_exercises_to_draw() -> None:
    assert {"routing", "dns", "web-db"} <= set(EXERCISES)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_svg_shows_every_service_and_address(exercise: str) -> None:
    need_dot()
    topology = course_topology(exercise)
    texts = svg_texts(draw(topology, "svg"))
    for service in topology.services:
        assert service.hostname in texts, service.name
        assert service.image in texts
    for network in topology.networks:
        assert network.name in texts
    shown = " ".join(texts).split()
    for address in topology.addresses():
        assert address in shown or f"gw {address}" in " ".join(texts), address
    for edge in topology.edges:
        interface, address = edge.label.split(" ", 1)
        assert interface in texts and address in texts, edge


def svg_texts(svg: bytes) -> list[str]:
    """Every piece of text the SVG draws, entities decoded (Graphviz writes '-' as &#45;)."""
    root = ElementTree.fromstring(svg)
    return [(element.text or "").strip() for element in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_dot_and_mermaid_carry_every_edge_label(exercise: str) -> None:
    topology = course_topology(exercise)
    dot, mermaid = to_dot(topology), to_mermaid(topology)
    for service in topology.services:
        for leg in service.interfaces:
            assert leg.address and leg.address in dot or not leg.address
            assert f'"{leg.label}"' in mermaid
    assert mermaid.count("---|") == len(topology.edges)


def test_routing_draws_its_router_as_a_router() -> None:
    topology = course_topology("routing")
    assert [router.name for router in topology.routers] == ["router"]
    assert "router, forwards IPv4" in to_dot(topology)
    assert "{{" in to_mermaid(topology)


def test_names_with_markup_characters_are_escaped() -> None:
    from toolkit.topology.model import Interface, NetworkNode, ServiceNode

    topology = Topology(
        'a"b',
        "<x & y>",
        (NetworkNode('l"an<1>'),),
        (ServiceNode("s", "s|1", "img#1", (Interface('l"an<1>', "eth0"),)),),
    )
    dot = to_dot(topology)
    assert "&lt;x &amp; y&gt;" in dot and 'graph "a\\"b"' in dot
    mermaid = to_mermaid(topology)
    assert "l#quot;an#lt;1#gt;" in mermaid and "s#124;1" in mermaid and "img#35;1" in mermaid


@pytest.mark.parametrize(
    ("flag", "output", "expected"),
    [
        (None, None, "svg"),
        (None, Path("x.PNG"), "png"),
        (None, Path("x.gv"), "dot"),
        (None, Path("x.mmd"), "mermaid"),
        ("dot", Path("x.svg"), "dot"),
    ],
)
def test_the_format_comes_from_the_flag_then_the_suffix(
    flag: str | None, output: Path | None, expected: str
) -> None:
    assert choose_format(flag, output) == expected


def test_an_unknown_format_or_suffix_is_refused_naming_the_choices() -> None:
    from toolkit.errors import UsageError

    with pytest.raises(UsageError, match="choose one of svg, png, dot, mermaid"):
        choose_format("pdf", None)
    with pytest.raises(UsageError, match=r"x\.txt.*--format"):
        choose_format(None, Path("x.txt"))


def test_without_dot_svg_fails_in_one_line_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.errors import ToolkitError

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolkitError) as caught:
        draw(course_topology("routing"), "svg")
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 1
    assert "apt-get install graphviz" in message and "--format dot" in message and "mermaid" in message
    assert draw(course_topology("routing"), "mermaid").startswith(b"flowchart LR")
