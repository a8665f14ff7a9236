"""Output of `labkit gc`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from rich.markup import escape
from rich.table import Table

from toolkit.cli.render import console, print_json
from toolkit.stack.gc import GcReport


def gc_reports(reports: Sequence[GcReport], *, as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "engine": r.engine,
                    "dry_run": r.dry_run,
                    "found": [asdict(x) for x in r.found],
                    "removed": [asdict(x) for x in r.removed],
                    "failed": [{**asdict(x), "error": why} for x, why in r.failed],
                }
                for r in reports
            ]
        )
        return
    for report in reports:
        if not report.found:
            console.print(f"{report.engine}: no labkit resources")
            continue
        removed = {(r.kind, r.name) for r in report.removed}
        failed = {(r.kind, r.name): why for r, why in report.failed}
        table = Table(
            "kind",
            "name",
            "project",
            "owner",
            "action",
            "why",
            box=None,
            title=f"{report.engine}",
            title_justify="left",
        )
        for item in report.found:
            key = (item.kind, item.name)
            if key in failed:
                action = f"[red]not removed: {escape(failed[key])}[/]"
            elif key in removed:
                action = "[green]removed[/]"
            elif item.action == "remove":
                action = "[yellow]would remove[/]"
            else:
                action = "kept"
            table.add_row(
                item.kind,
                escape(item.name),
                escape(item.project),
                escape(item.owner),
                action,
                escape(item.reason),
            )
        console.print(table)
        gone = len(report.removed)
        what = f"would remove {len(report.garbage)}" if report.dry_run else f"removed {gone}"
        console.print(
            f"{report.engine}: {what}, kept {len(report.kept)}"
            + (f", {len(report.failed)} could not be removed" if report.failed else "")
        )
