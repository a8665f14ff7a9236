"""`labkit gc`: remove what labkit processes that died left behind (a killed test run, say)."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, JsonOption
from toolkit.errors import EngineUnavailable, UsageError


def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="List only; remove nothing.")] = False,
    all_engines: Annotated[
        bool, typer.Option("--all-engines", help="Every engine that answers, not just one.")
    ] = False,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Remove labkit containers, networks and volumes whose owning process is gone.

    Only what a test run or a self-test created goes (they carry a run label); stacks from
    `labkit up`, resources of live processes or other hosts, and anything without labkit's
    labels stay, and are listed.
    """
    from toolkit.cli.render import gc as render
    from toolkit.runtime.select import available_engines, connect
    from toolkit.stack.gc import collect

    if all_engines and engine:
        raise UsageError("pass --engine or --all-engines, not both")
    if all_engines:
        choices = available_engines()
        if not choices:
            raise EngineUnavailable("no Docker or Podman engine answers: run 'labkit doctor'")
    else:
        choices = [context.choose_engine(engine)]
    reports = []
    for choice in choices:
        runtime = connect(choice)
        try:
            reports.append(collect(runtime, dry_run=dry_run))
        finally:
            runtime.close()
    render.gc_reports(reports, as_json=json)
    if any(report.failed for report in reports):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add gc to the root app."""
    root.command()(gc)
