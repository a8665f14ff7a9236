"""Output of `labkit class`: progress, the gradebook (table, CSV, JSON) and the live watch."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from toolkit.classroom.gradebook import Gradebook, StudentGrade, gradebook_csv
from toolkit.classroom.grading import StudentOutcome
from toolkit.cli.render import console, err_console, print_json

PASSED = "[green]✓[/]"
FAILED = "[red]✗[/]"
BLOCKED = "[yellow]·[/]"


class ClassProgress:
    """One progress bar on stderr for a whole class: students done of all, and failures."""

    def __init__(self, title: str, total: int) -> None:
        self._failed = 0
        self._progress = Progress(
            TextColumn(escape(title)),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        )
        self._task = self._progress.add_task(title, total=total, failed="")

    def __enter__(self) -> ClassProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._progress.stop()

    def done(self, outcome: StudentOutcome) -> None:
        if not outcome.ok:
            self._failed += 1
        failed = f"[red]{self._failed} failed[/]" if self._failed else ""
        self._progress.update(self._task, advance=1, failed=failed)


def outcomes(verb: str, done: Sequence[StudentOutcome]) -> None:
    """What `class up`/`class down` did: the failures one per line, then the count."""
    for outcome in done:
        if not outcome.ok:
            console.print(
                f"[red]{escape(outcome.student.id)}[/] ({escape(outcome.project)}): {escape(outcome.error)}"
            )
    failed = sum(1 for outcome in done if not outcome.ok)
    colour = "green" if not failed else "red"
    console.print(f"[{colour}]{verb}: {len(done) - failed} of {len(done)} students[/]")


def secret_note(path: Path | None, *, made: bool) -> None:
    if path is None:
        console.print("the course secret comes from $LABKIT_COURSE_SECRET")
    elif made:
        console.print(
            f"made a course secret in {path} (readable by you only): keep it, and out of the course"
        )
    else:
        console.print(f"the course secret is in {path}")


def _mark(grade: StudentGrade, index: int) -> str:
    if grade.run is None or index >= len(grade.run.results):
        return ""
    result = grade.run.results[index]
    if result.blocked_by:
        return BLOCKED
    return PASSED if result.passed else FAILED


def grade_table(book: Gradebook) -> Table:
    """Students × graded checks (numbered, with a legend below), points and status."""
    columns = book.graded_checks
    table = Table("student", "name", *(f"{n}" for n in range(1, len(columns) + 1)), "points", box=None)
    for grade in book.grades:
        if grade.status == "graded":
            points = f"{grade.score}/{book.max_score}"
        else:
            points = f"[red]{grade.status}[/]"
        table.add_row(
            escape(grade.student.id),
            escape(grade.student.name),
            *(_mark(grade, index) for index, _ in columns),
            points,
        )
    return table


def legend(book: Gradebook) -> list[str]:
    return [
        f"  {n}. {escape(check.name)} ({check.points})" for n, (_, check) in enumerate(book.graded_checks, 1)
    ]


def gradebook(book: Gradebook, *, as_csv: bool, as_json: bool) -> None:
    if as_csv:
        sys.stdout.write(gradebook_csv(book))
        sys.stdout.flush()
        return
    if as_json:
        print_json(_json(book))
        return
    console.print(grade_table(book))
    for line in legend(book):
        console.print(line, style="dim")
    console.print(_summary(book))


def _summary(book: Gradebook) -> str:
    graded = [grade for grade in book.grades if grade.status == "graded"]
    full = sum(1 for grade in graded if grade.score == book.max_score)
    text = f"{len(graded)} of {len(book.grades)} students graded, {full} with full points"
    if book.not_up:
        text += f"; [red]not up: {', '.join(escape(grade.student.id) for grade in book.not_up)}[/]"
    return f"{text} ({escape(book.exercise)}, {book.engine}, {book.duration:.1f}s)"


def _json(book: Gradebook) -> dict[str, Any]:
    return {
        "exercise": book.exercise,
        "engine": book.engine,
        "max_score": book.max_score,
        "duration": book.duration,
        "checks": [{"name": c.name, "points": c.points, "graded": c.graded} for c in book.checks],
        "students": [
            {
                "id": grade.student.id,
                "name": grade.student.name,
                "email": grade.student.email,
                "project": grade.project,
                "status": grade.status,
                "error": grade.error,
                "score": grade.score,
                "checks": [
                    {
                        "name": r.name,
                        "passed": r.passed,
                        "points": r.points,
                        "earned": r.earned,
                        "reason": r.reason,
                    }
                    for r in (grade.run.results if grade.run else ())
                ],
            }
            for grade in book.grades
        ],
    }


class Watch:
    """The instructor's screen: the grade table, redrawn in place at every refresh."""

    def __init__(self) -> None:
        self._live = Live(console=console, auto_refresh=False, transient=False)

    def __enter__(self) -> Watch:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._live.stop()

    def show(self, book: Gradebook, pause: float) -> None:
        """Draw `book`, then wait `pause` seconds before the next refresh."""
        table = grade_table(book)
        table.title = f"{book.exercise}: {time.strftime('%H:%M:%S')}, every few seconds (Ctrl-C to leave)"
        table.caption = _summary(book)
        self._live.update(table, refresh=True)
        if pause > 0:
            time.sleep(pause)
