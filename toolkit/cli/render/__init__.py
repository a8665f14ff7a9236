"""The only place that prints. Commands hand results here; the library never prints.

Per-feature renderers live beside this module (render/images.py, render/stack.py, ...) and use
these consoles.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def count(number: int, noun: str) -> str:
    """`1 network`, `2 networks`: a number and its noun, in the right form."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def print_json(data: Any) -> None:
    """Plain JSON on stdout, never styled, for scripts."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def note(message: str) -> None:
    """A side remark on stderr (verbose output), so stdout stays clean."""
    err_console.print(message, style="dim")


def error_line(message: str) -> None:
    """The one line a failed command prints."""
    err_console.print(f"error: {message}", style="red", markup=False)
