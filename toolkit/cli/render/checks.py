"""Output of `labkit check`, `labkit solve` and `labkit test`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from toolkit.checks.explain import command_lines
from toolkit.checks.results import CheckResult, CheckRun, summary
from toolkit.checks.selftest import SelfTestReport
from toolkit.checks.solve import SolveReport, StepResult
from toolkit.cli.render import check_failures as explain
from toolkit.cli.render import console, count, note, print_json

PASS = "[green]pass[/]"
FAIL = "[red]FAIL[/]"


def _seconds(value: float) -> str:
    return f"{value:.2f}s"


Row = tuple[str, str, str, str]  # check, service, result, time: markup


def _table(rows: Sequence[Row], title: str | None = None) -> Table:
    """One short line per check; what a failure means is explained below the table.

    The service, result and time columns keep their width (a result cut to `fai…` misleads);
    only the check's name is shortened, with an ellipsis, to fit the terminal.
    """

    def width(column: int, header: str, most: int = 40) -> int:
        return min(most, max([len(header), *(Text.from_markup(row[column]).cell_len for row in rows)]))

    service, result, time = width(1, "service", 16), width(2, "result"), width(3, "time")
    # Each column is padded by one space on either side.
    room = console.width - service - result - time - 8
    table = Table(box=None, title=title, title_justify="left")
    table.add_column("check", no_wrap=True, overflow="ellipsis", max_width=max(20, room))
    table.add_column("service", no_wrap=True, overflow="ellipsis", min_width=service, max_width=16)
    table.add_column("result", no_wrap=True, min_width=result)
    table.add_column("time", no_wrap=True, justify="right", min_width=time)
    for row in rows:
        table.add_row(*row)
    return table


def check_table(run: CheckRun, *, title: str | None = None) -> Table:
    rows = [
        (_name(result), escape(result.service), _verdict(result), _seconds(result.duration))
        for result in run.results
    ]
    return _table(rows, title)


def _verdict(result: CheckResult) -> str:
    if result.blocked_by:
        return "[yellow]not run[/]"
    return PASS if result.passed else FAIL


def _name(result: CheckResult) -> str:
    if not result.graded:
        return escape(result.name) + " [dim](ungraded)[/]"
    worth = f" [dim]({result.points} points)[/]" if result.points != 1 else ""
    return escape(result.name) + worth


def before_table(run: CheckRun) -> Table:
    """The checks on a fresh stack, judged as the self-test does: graded ones must fail."""
    rows: list[Row] = []
    for result in run.results:
        if result.graded:
            verdict = "[green]fails[/]" if not result.passed else "[red]PASSES: proves nothing[/]"
        else:
            verdict = PASS if result.passed else FAIL
        rows.append((_name(result), escape(result.service), verdict, _seconds(result.duration)))
    return _table(rows, "before the solution: graded checks must fail, ungraded ones pass")


def _check_json(result: CheckResult) -> dict[str, Any]:
    return {**asdict(result), "reason": result.reason, "command": "\n".join(command_lines(result.argv))}


def check_run(run: CheckRun, *, engine: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "exercise": run.exercise,
                "project": run.project,
                "engine": engine,
                "passed": run.passed,
                "score": run.score,
                "max_score": run.max_score,
                "duration": run.duration,
                "checks": [_check_json(result) for result in run.results],
            }
        )
        return
    console.print(check_table(run))
    explain.failures(console, run.failures)
    if run.failures:
        console.print()
    colour = "green" if run.passed else "red"
    console.print(
        f"[{colour}]{summary(run.results)}[/], [bold]{run.score_text}[/] in {_seconds(run.duration)} "
        f"({escape(run.exercise)}, project {escape(run.project)}, {engine})"
    )


# ---------------------------------------------------------------- solve


def step(result: StepResult, total: int) -> None:
    """One solution step as it finishes: its command, then its result."""
    mark = "[green]ok[/]" if result.ok else f"[red]failed: {escape(result.reason)}[/]"
    console.print(
        f"[bold]step {result.index}/{total}[/] [dim]({escape(result.service)})[/] "
        f"$ {escape(result.summary)}  {mark} [dim]{_seconds(result.duration)}[/]"
    )
    lines = result.output_head(20 if not result.ok else 5)
    for line in lines:
        console.print(f"    {escape(line)}", style=None if result.ok else "red")


def solve_report(report: SolveReport, *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "exercise": report.exercise,
                "project": report.project,
                "passed": report.passed,
                "total": report.total,
                "duration": report.duration,
                "steps": [{**asdict(s), "ok": s.ok, "reason": s.reason} for s in report.steps],
            }
        )
        return
    if report.total == 0:
        console.print(f"{escape(report.exercise)} has no reference solution")
    elif report.passed:
        console.print(
            f"[green]solution applied[/]: {count(report.total, 'step')} in {_seconds(report.duration)}"
        )
    else:
        failed = report.failed_step
        index = failed.index if failed else len(report.steps)
        console.print(f"[red]solution stopped at step {index} of {report.total}[/]")


# ---------------------------------------------------------------- self-test


def phase(exercise: str, name: str) -> None:
    """Progress on stderr, so stdout holds only results."""
    note(f"{exercise}: {name}")


def self_test(report: SelfTestReport) -> None:
    """One exercise's self-test: before and after tables, then its verdict and problems."""
    if report.before is not None:
        console.print(before_table(report.before))
        explain.failures(console, [r for r in report.before.results if not r.graded])
    if report.solution is not None:
        for result in report.solution.steps:
            step(result, report.solution.total)
    if report.after is not None:
        console.print(check_table(report.after, title="after the solution: every check must pass"))
        explain.failures(console, report.after.failures)
    timings = ", ".join(f"{name} {_seconds(seconds)}" for name, seconds in report.timings.items())
    verdict = "[green]PASS[/]" if report.passed else "[red]FAIL[/]"
    console.print(
        f"{verdict} {escape(report.exercise)} on {report.engine} in "
        f"{_seconds(report.duration)} [dim]({timings})[/]"
    )
    for problem in report.problems:
        console.print(f"  [red]-[/] {escape(str(problem))}")


def self_test_summary(reports: Sequence[SelfTestReport], *, as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "exercise": r.exercise,
                    "project": r.project,
                    "engine": r.engine,
                    "passed": r.passed,
                    "duration": r.duration,
                    "timings": dict(r.timings),
                    "problems": [asdict(p) for p in r.problems],
                }
                for r in reports
            ]
        )
        return
    table = Table("exercise", "engine", "result", "time", "problems", box=None)
    for report in reports:
        table.add_row(
            escape(report.exercise),
            report.engine,
            PASS if report.passed else FAIL,
            _seconds(report.duration),
            str(len(report.problems)),
        )
    console.print(table)
    failed = sum(1 for report in reports if not report.passed)
    colour = "green" if failed == 0 else "red"
    console.print(f"[{colour}]{len(reports) - failed} of {len(reports)} exercises pass their self-test[/]")
