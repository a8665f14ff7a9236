"""One entry point for every picture format: pick it from a flag or a file name, then draw."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast, get_args

from toolkit.errors import UsageError
from toolkit.topology.dot import to_dot
from toolkit.topology.mermaid import to_mermaid
from toolkit.topology.model import Topology
from toolkit.topology.render import render_image

PictureFormat = Literal["svg", "png", "dot", "mermaid"]
FORMATS: tuple[str, ...] = get_args(PictureFormat)
BINARY_FORMATS = ("png",)
_SUFFIXES: dict[str, PictureFormat] = {
    ".svg": "svg",
    ".png": "png",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
}


def choose_format(flag: str | None, output: Path | None) -> PictureFormat:
    """The --format given, else the one the output file's suffix names, else svg.

    Raises:
        UsageError: an unknown format, or a file suffix that names none and no --format.
    """
    if flag is not None:
        if flag not in FORMATS:
            raise UsageError(f"unknown --format {flag!r}: choose one of {', '.join(FORMATS)}")
        return cast(PictureFormat, flag)
    if output is None:
        return "svg"
    chosen = _SUFFIXES.get(output.suffix.lower())
    if chosen is None:
        raise UsageError(
            f"cannot tell the format of {output.name} from its suffix: name it "
            f"{', '.join(sorted(_SUFFIXES))}, or pass --format {'|'.join(FORMATS)}"
        )
    return chosen


def draw(topology: Topology, picture_format: PictureFormat) -> bytes:
    """The picture in that format; svg and png need Graphviz's `dot` (see render_image)."""
    if picture_format == "mermaid":
        return to_mermaid(topology).encode()
    source = to_dot(topology)
    if picture_format == "dot":
        return source.encode()
    return render_image(source, picture_format)
