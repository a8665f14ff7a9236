"""Output of `labkit images ...`: the listing, build progress and summary, bootstrap, archives."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from toolkit.cli.render import console, count, err_console, print_json
from toolkit.images import BootstrapResult, BuildEvent, BuildReport, CourseImageStatus

_STATUS_STYLE = {"built": "green", "skipped": "cyan", "failed": "red"}


def listing(statuses: Sequence[CourseImageStatus], *, engine: str, as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "name": s.name,
                    "description": s.description,
                    "families": [f.value for f in s.families],
                    "parents": list(s.parents),
                    "engine": engine,
                    "tags": [
                        {
                            "base": t.base,
                            "tag": t.tag,
                            "id": t.image_id,
                            "created": t.created,
                            "up_to_date": t.up_to_date,
                            "why_stale": t.why_stale,
                        }
                        for t in s.tags
                    ],
                }
                for s in statuses
            ]
        )
        return
    table = Table("image", "families", "from", f"tags on {engine}", "description", box=None)
    for status in statuses:
        tags = Text()
        for index, tag in enumerate(status.tags):
            if index:
                tags.append("\n")
            tags.append(tag.tag.split(":", 1)[1])
            if tag.up_to_date:
                tags.append(" (up to date)", style="green")
            else:
                tags.append(f" (stale: {tag.why_stale})", style="yellow")
        table.add_row(
            status.name,
            ", ".join(f.value for f in status.families),
            ", ".join(status.parents) or "os",
            tags if status.tags else Text("none", style="dim"),
            status.description,
        )
    console.print(table)


@dataclass
class _Row:
    tag: str
    state: str = "queued"
    step: str = ""
    started: float | None = None
    seconds: float | None = None


class BuildProgress:
    """Progress of a build: a live table on a terminal, a line per change elsewhere.

    Use as a context manager; pass `on_event` to the builder.
    """

    def __init__(self, base: str, *, quiet: bool = False, steps: bool = False) -> None:
        self.base = base
        self.quiet = quiet
        self.steps = steps  # off a terminal: a line per step too, not only start and end
        self.rows: dict[str, _Row] = {}
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> BuildProgress:
        if not self.quiet and console.is_terminal:
            self._live = Live(self, console=console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, error, traceback)

    def on_event(self, event: BuildEvent) -> None:
        with self._lock:
            row = self.rows.setdefault(event.image, _Row(event.tag))
            if event.kind == "output":
                return
            changed = event.kind != row.state or event.step != row.step
            if event.kind == "started":
                row.started = time.monotonic()
            if event.kind in ("built", "skipped", "failed"):
                row.seconds = event.elapsed
                row.state = event.kind if event.kind != "skipped" else f"skipped: {event.message}"
            elif event.kind != "queued":
                row.state = "building" if event.kind == "step" else event.kind
            row.step = event.step if event.kind == "step" else row.step
        if self.quiet or self._live is not None or not changed or event.kind == "queued":
            return
        if event.kind != "step" or self.steps:
            self._line(event, row)

    def _line(self, event: BuildEvent, row: _Row) -> None:
        elapsed = f"{event.elapsed:5.1f}s"
        what = row.step if event.kind == "step" else row.state
        if len(what) > 90:
            what = what[:89] + "…"
        console.print(f"[{self.base}] {event.image:<10} {elapsed}  {what}", markup=False)

    def __rich__(self) -> RenderableType:
        table = Table(box=None)
        for header in ("image", "tag", "status"):
            table.add_column(header, no_wrap=True)
        table.add_column("time", no_wrap=True, justify="right")
        table.add_column("step", no_wrap=True, overflow="ellipsis", ratio=1)
        with self._lock:
            for name, row in self.rows.items():
                if row.seconds is not None:
                    seconds = row.seconds
                elif row.started is not None:
                    seconds = time.monotonic() - row.started
                else:
                    seconds = 0.0
                step = "" if row.seconds is not None else row.step  # done: the status says it
                table.add_row(name, row.tag, row.state, f"{seconds:.1f}s", step)
        return Group(Text(f"building for {self.base}", style="bold"), table)


def build_summary(reports: Sequence[BuildReport], *, quiet: bool) -> None:
    if not quiet:
        table = Table("image", "tag", "status", "seconds", box=None)
        for report in reports:
            for build in report.builds:
                table.add_row(
                    build.name,
                    build.tag,
                    Text(build.label, style=_STATUS_STYLE[build.status]),
                    f"{build.seconds:.1f}",
                )
        console.print(table)
    for report in reports:
        for build in report.failed:
            if build.step and build.log_tail:
                # The engine's message repeats the step; its last lines say what went wrong.
                err_console.print(
                    f"{build.name} ({build.tag}) failed at step {build.step}", style="red", markup=False
                )
                for line in build.log_tail[-12:]:
                    err_console.print(f"    {line}", style="dim", markup=False)
            else:
                err_console.print(
                    f"{build.name} ({build.tag}) failed: {build.reason}", style="red", markup=False
                )


def build_json(reports: Sequence[BuildReport]) -> None:
    print_json(
        [
            {
                "image": b.name,
                "tag": b.tag,
                "base": report.base.alias,
                "status": b.status,
                "reason": b.reason,
                "seconds": round(b.seconds, 2),
                "id": b.image_id,
                "content_hash": b.content_hash,
                "step": b.step,
                "log_tail": list(b.log_tail),
            }
            for report in reports
            for b in report.builds
        ]
    )


def bootstrap_result(engine: str, result: BootstrapResult) -> None:
    tarball = "reused" if result.tarball_reused else "made now"
    console.print(
        f"{engine}: {result.ref} {result.note} ({result.image_id[:19]}) in {result.seconds:.1f}s; "
        f"rootfs {result.tarball} ({tarball})",
        markup=False,
    )


def bootstrap_json(results: Sequence[tuple[str, BootstrapResult]]) -> None:
    print_json(
        [
            {
                "engine": engine,
                "ref": r.ref,
                "id": r.image_id,
                "imported": r.imported,
                "note": r.note,
                "tarball": str(r.tarball),
                "tarball_reused": r.tarball_reused,
                "seconds": round(r.seconds, 2),
            }
            for engine, r in results
        ]
    )


def bootstrap_output(line: str) -> None:
    """A line of debootstrap's output, shown while it runs (stderr: stdout stays for results)."""
    err_console.print(line, style="dim", markup=False, highlight=False)


def saved(tags: Sequence[str], path: Path) -> None:
    size = path.stat().st_size / 1e6
    console.print(f"saved {count(len(tags), 'image')} to {path} ({size:.1f} MB):", markup=False)
    for tag in tags:
        console.print(f"  {tag}", markup=False)


def loaded(refs: Sequence[str], path: Path) -> None:
    console.print(f"loaded {count(len(refs), 'image')} from {path}:", markup=False)
    for ref in refs:
        console.print(f"  {ref}", markup=False)


def rendered(text: str) -> None:
    console.print(text, markup=False, highlight=False, end="")
