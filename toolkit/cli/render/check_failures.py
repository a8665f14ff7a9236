"""Below the table of checks, one block per failure: it teaches what went wrong.

Each block says the command as it ran (as which user, in which service), what was expected in
full, what happened, and the output that matters, each line whole (the terminal wraps it, no
column squeezes it), then the check's hint. Plain text: it reads the same at 80 columns, at 200,
and piped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from toolkit.checks.explain import command_lines, excerpt, expectation, outcome
from toolkit.checks.results import CheckResult

LABEL_WIDTH = 11  # "  expected " and friends, so every value starts in one column
INDENT = " " * LABEL_WIDTH
OUTPUT_INDENT = "    "


def _field(console: Console, label: str, value: str, style: str = "") -> None:
    text = escape(value)
    console.print(f"  [dim]{label.ljust(LABEL_WIDTH - 2)}[/]" + (f"[{style}]{text}[/]" if style else text))


def _more(console: Console, lines: Sequence[str]) -> None:
    for line in lines:
        console.print(INDENT + escape(line))


def _who(result: CheckResult) -> str:
    if result.probe is not None:
        # labkit's own container on that network: the student's hosts are not where it ran.
        return f"(as {result.user or 'root'}, from labkit's probe on network {result.probe})"
    user = f"as {result.user}" if result.user else "as the service's user"
    return f"({user}, in service {result.service})"


def failure(console: Console, result: CheckResult, hint: str = "") -> None:
    """One failed check, explained; `hint`: the check's nudge, shown last when it has one."""
    console.print(f"[red]FAIL[/] [bold]{escape(result.name)}[/]")
    command = command_lines(result.argv) if result.argv else ("(no command)",)
    _field(console, "ran", command[0])
    _more(console, command[1:])
    console.print(INDENT + f"[dim]{escape(_who(result))}[/]")
    _field(console, "expected", expectation(result))
    _field(console, "got", outcome(result), "red")
    shown = excerpt(result)
    if shown.lines:
        what = f"{shown.total} line{'s' if shown.total != 1 else ''}"
        if shown.relevant:
            what += ", the closest to the pattern first"
        if shown.missing:
            what += "; none has " + ", ".join(shown.missing)
        _field(console, "output", f"({what})")
        for index, line in enumerate(shown.lines):
            if shown.relevant and index == shown.relevant:
                console.print(OUTPUT_INDENT + "[dim]--[/]")
            console.print(OUTPUT_INDENT + escape(line), highlight=False)
        if shown.omitted:
            console.print(
                OUTPUT_INDENT + f"[dim]… {shown.omitted} more lines not shown (--json has them all)[/]"
            )
    if hint:
        _field(console, "hint", hint, "yellow")


def failures(console: Console, results: Sequence[CheckResult]) -> None:
    """Every failed check of a run, one block each, a blank line before each."""
    for result in results:
        if result.passed:
            continue
        console.print()
        if result.blocked_by:
            console.print(f"[yellow]NOT RUN[/] [bold]{escape(result.name)}[/]")
            _field(console, "requires", f"{result.blocked_by} (it did not pass: fix that first)")
            continue
        failure(console, result, hint=result.hint)
