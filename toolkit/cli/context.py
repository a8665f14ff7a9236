"""What a command needs from the process around it: the engine and verbosity."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded by the commands that open an engine, not by every command
    from toolkit.runtime.protocol import Runtime
    from toolkit.runtime.select import EngineChoice

_verbose = False
_open: list[Runtime] = []


def set_verbose(verbose: bool) -> None:
    global _verbose
    _verbose = verbose


def is_verbose() -> bool:
    return _verbose


def choose_engine(engine: str | None) -> EngineChoice:
    """Resolve --engine, then LABKIT_ENGINE, then auto-detection."""
    from toolkit.runtime.select import resolve_engine

    choice = resolve_engine(engine)
    if _verbose:
        from toolkit.cli.render import note

        note(f"engine: {choice.name} at {choice.socket} ({choice.source})")
    return choice


def open_engine(engine: str | EngineChoice | None) -> Runtime:
    """Connect to the engine (a name to resolve, or one chosen already); the connection is
    closed when the command ends."""
    from toolkit.runtime.select import EngineChoice, connect

    choice = engine if isinstance(engine, EngineChoice) else choose_engine(engine)
    runtime = connect(choice)
    _open.append(runtime)
    return runtime


def close_engines() -> None:
    while _open:
        _open.pop().close()
