"""What a command needs from the process around it: the engine, verbosity, the course folders."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, connect, resolve_engine

_verbose = False
_open: list[Runtime] = []


def set_verbose(verbose: bool) -> None:
    global _verbose
    _verbose = verbose


def is_verbose() -> bool:
    return _verbose


def choose_engine(engine: str | None) -> EngineChoice:
    """Resolve --engine, then LABKIT_ENGINE, then auto-detection."""
    choice = resolve_engine(engine)
    if _verbose:
        from toolkit.cli.render import note

        note(f"engine: {choice.name} at {choice.socket} ({choice.source})")
    return choice


def open_engine(engine: str | None) -> Runtime:
    """Connect to the chosen engine; the connection is closed when the command ends."""
    runtime = connect(choose_engine(engine))
    _open.append(runtime)
    return runtime


def close_engines() -> None:
    while _open:
        _open.pop().close()


def course_root() -> Path:
    """The course folder holding images/ and compose/: $LABKIT_COURSE, else the nearest
    ancestor of the working directory that has them, else the folder labkit is installed from."""
    configured = os.environ.get("LABKIT_COURSE")
    if configured:
        return Path(configured).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "compose").is_dir() and (folder / "images").is_dir():
            return folder
    return Path(__file__).resolve().parents[2]
