"""`labkit engine` and `labkit doctor`: which engines answer, and what is wrong with the host."""

from __future__ import annotations

import typer

from toolkit.cli.options import JsonOption
from toolkit.cli.render import engines as render_engines
from toolkit.errors import EngineUnavailable


def engine(json: JsonOption = False) -> None:
    """List the engines that answer, with versions and sockets, and which one is the default."""
    from toolkit.runtime.select import available_engines, connect, resolve_engine

    choices = available_engines()
    if not choices:
        raise EngineUnavailable("no Docker or Podman engine answers: run 'labkit doctor'")
    default = resolve_engine(None, start_podman=lambda: None)
    infos = []
    for choice in choices:
        runtime = connect(choice)
        try:
            infos.append(runtime.info())
        finally:
            runtime.close()
    render_engines.engines(infos, default=default.name, as_json=json)


def doctor(json: JsonOption = False) -> None:
    """Check this host for what labkit needs, with a concrete fix for each problem."""
    from toolkit.doctor import diagnose

    findings = diagnose()
    render_engines.findings(findings, as_json=json)
    if any(f.level == "problem" for f in findings):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.command()(engine)
    root.command()(doctor)
