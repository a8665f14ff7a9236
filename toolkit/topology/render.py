"""Turn DOT text into SVG or PNG with Graphviz's `dot` program (through the graphviz package).

DOT and Mermaid are written by labkit alone; only the images need Graphviz installed.
"""

from __future__ import annotations

from typing import Literal

from toolkit.errors import ToolkitError

ImageFormat = Literal["svg", "png"]
INSTALL_HINT = "install Graphviz (run scripts/provision-engines, or apt-get install graphviz)"


def render_image(
    dot_source: str, image_format: ImageFormat, *, instead: str = "ask for --format dot or --format mermaid"
) -> bytes:
    """Lay the picture out and draw it.

    Raises:
        ToolkitError: Graphviz's `dot` program is missing (naming the fix and `instead`, what
            works without it), or it failed on the input.
    """
    import graphviz

    try:
        picture: bytes = graphviz.Source(dot_source).pipe(format=image_format, engine="dot")
    except graphviz.ExecutableNotFound:
        raise ToolkitError(
            f"{image_format} needs Graphviz's `dot` program, which is not on PATH: {INSTALL_HINT}, "
            f"or {instead}, which needs nothing"
        ) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode(errors="replace").strip() if isinstance(exc.stderr, bytes) else ""
        raise ToolkitError(f"Graphviz could not draw the picture: {stderr or exc}") from None
    return picture
