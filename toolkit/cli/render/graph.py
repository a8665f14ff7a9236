"""Output of `labkit graph` and `labkit handout`: the file written, or the picture itself."""

from __future__ import annotations

import sys
from pathlib import Path

from toolkit.cli.render import console, note


def to_stdout(data: bytes) -> None:
    """The picture itself on standard output (text formats, or an image piped on)."""
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def written(output: Path, what: str) -> None:
    console.print(f"wrote {output} ({what})", markup=False)


def not_up(project: str, engine: str) -> None:
    note(f"project {project} is not up on {engine}: drawn with the exercise file's addresses")
