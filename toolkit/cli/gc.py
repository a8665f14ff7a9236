"""`labkit gc`: remove what labkit processes that died left behind (a killed test run, say)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, JsonOption
from toolkit.errors import EngineUnavailable, UsageError


def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="List only; remove nothing.")] = False,
    all_engines: Annotated[
        bool, typer.Option("--all-engines", help="Every engine that answers (the default without --engine).")
    ] = False,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Remove labkit containers, networks and volumes whose owning process is gone, on every
    engine that answers (or the one --engine names).

    Only what a test run or a self-test created goes (they carry a run label); stacks from
    `labkit up`, resources of live processes or other hosts, and anything without labkit's
    labels stay, and are listed.
    """
    from toolkit.cli.render import gc as render
    from toolkit.runtime.select import EngineChoice, available_engines, connect
    from toolkit.stack.gc import GcReport, collect

    if all_engines and engine:
        raise UsageError("pass --engine or --all-engines, not both")
    asked = None if all_engines else context.choose_engine(engine)
    if asked is not None and asked.source != "detected":
        choices = [asked]  # one engine asked for by name
    else:
        # Without one asked for, every engine that answers: a project lives on either.
        choices = available_engines()
        if not choices:
            raise EngineUnavailable("no Docker or Podman engine answers: run 'labkit doctor'")

    def collect_on(choice: EngineChoice) -> GcReport:
        runtime = connect(choice)
        try:
            return collect(runtime, dry_run=dry_run)
        finally:
            runtime.close()

    with ThreadPoolExecutor(len(choices), thread_name_prefix="labkit-gc") as pool:
        reports = list(pool.map(collect_on, choices))
    render.gc_reports(reports, as_json=json)
    if any(report.failed for report in reports):
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add gc to the root app."""
    root.command()(gc)
