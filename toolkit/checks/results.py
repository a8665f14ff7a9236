"""What a check run produces, and how one command's result is judged against its check.

Everything here is pure: the runner feeds it what the engine returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from toolkit.errors import ExecTimeout
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check

# A check's output is kept for the report, not for archiving: a runaway command must not
# fill memory with megabytes nobody reads.
OUTPUT_LIMIT = 64 * 1024
HEAD_LINES = 5


def clip(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """The first `limit` characters of `text`, marked when cut."""
    return text if len(text) <= limit else text[:limit] + "\n[... output cut ...]"


def head(text: str, lines: int = HEAD_LINES) -> tuple[str, ...]:
    """The first `lines` lines of `text`; none for blank text."""
    return tuple(text.rstrip("\n").splitlines()[:lines]) if text.strip() else ()


def combined(stdout: str, stderr: str) -> str:
    """stdout then stderr, one after the other, as a terminal would have shown them."""
    parts = [text.rstrip("\n") for text in (stdout, stderr) if text.strip()]
    return "\n".join(parts)


def format_seconds(seconds: float) -> str:
    """`10` for whole seconds, `2.5` otherwise: how timeouts read in messages."""
    return f"{seconds:g}"


@dataclass(frozen=True)
class CheckResult:
    """One check, run once: what was expected, what happened, and whether that passes."""

    name: str
    service: str
    passed: bool
    duration: float
    expected_exit: int
    expected_output: str | None
    exit_code: int | None  # None when the command never finished (timeout) or never ran
    stdout: str = ""
    stderr: str = ""
    argv: tuple[str, ...] = ()  # the command as run
    user: str | None = None  # as which user (None: the service's own)
    timed_out: bool = False
    timeout: float = 0.0
    error: str = ""  # why the command could not run at all (no container, engine refusal)
    graded: bool = True
    points: int = 1
    hint: str = ""
    blocked_by: str = ""  # the failed prerequisite that kept this check from running
    probe: str | None = None  # the network whose labkit probe ran it (None: ran in `service`)

    @property
    def earned(self) -> int:
        """The points this result scores: its points if it is graded and passed."""
        return self.points if self.graded and self.passed else 0

    @property
    def reason(self) -> str:
        """Why the check failed, in a few words; empty when it passed."""
        if self.passed:
            return ""
        if self.blocked_by:
            return f"not run: requires {self.blocked_by!r}, which did not pass"
        if self.error:
            return self.error
        if self.timed_out:
            return f"timed out after {format_seconds(self.timeout)}s"
        if self.exit_code != self.expected_exit:
            return f"exit code {self.exit_code}, expected {self.expected_exit}"
        return f"output does not match /{self.expected_output}/"

    @property
    def expected(self) -> str:
        """The expectation, as a table cell shows it."""
        text = f"exit {self.expected_exit}"
        if self.expected_output is not None:
            text += f", stdout ~ /{self.expected_output}/"
        return text

    @property
    def actual(self) -> str:
        """What happened, as a table cell shows it."""
        if self.blocked_by:
            return "not run"
        if self.error:
            return self.error
        if self.timed_out:
            return f"timed out after {format_seconds(self.timeout)}s"
        return f"exit {self.exit_code}"

    def output_head(self, lines: int = HEAD_LINES) -> tuple[str, ...]:
        """The first lines of stdout, then of stderr, for a failure report."""
        return head(combined(self.stdout, self.stderr), lines)


@dataclass(frozen=True)
class CheckRun:
    """Every check of one exercise, run against one project."""

    exercise: str
    project: str
    results: tuple[CheckResult, ...]
    duration: float

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    @property
    def score(self) -> int:
        """Points earned: the points of every graded check that passed."""
        return sum(result.earned for result in self.results)

    @property
    def max_score(self) -> int:
        """Points on offer: the points of every graded check."""
        return sum(result.points for result in self.results if result.graded)

    @property
    def score_text(self) -> str:
        """`7/10 points`."""
        return f"{self.score}/{self.max_score} points"


def output_matches(pattern: str | None, stdout: str) -> bool:
    """Whether stdout satisfies the check's output expectation (a regex searched anywhere)."""
    if pattern is None:
        return True
    return re.search(pattern, stdout) is not None


def judge(check: Check, result: ExecResult) -> CheckResult:
    """Compare a finished command with its check: exit code first, then stdout."""
    try:
        matches = output_matches(check.expect_output, result.stdout)
        error = ""
    except re.error as exc:  # the loader validates patterns; this guards hand-made checks
        matches, error = False, f"bad expect_output pattern: {exc}"
    return CheckResult(
        name=check.name,
        service=check.service,
        argv=check.run,
        user=check.user,
        passed=not error and result.exit_code == check.expect_exit and matches,
        duration=result.duration,
        expected_exit=check.expect_exit,
        expected_output=check.expect_output,
        exit_code=result.exit_code,
        stdout=clip(result.stdout),
        stderr=clip(result.stderr),
        timeout=check.timeout,
        error=error,
        graded=check.graded,
        points=check.points,
        hint=check.hint,
        probe=check.probe,
    )


def timed_out(check: Check, exc: ExecTimeout, duration: float) -> CheckResult:
    """A check whose command outlived its timeout: a failure, with what it printed so far."""
    return CheckResult(
        name=check.name,
        service=check.service,
        argv=check.run,
        user=check.user,
        passed=False,
        duration=duration,
        expected_exit=check.expect_exit,
        expected_output=check.expect_output,
        exit_code=None,
        stdout=clip(exc.output),
        timed_out=True,
        timeout=check.timeout,
        graded=check.graded,
        points=check.points,
        hint=check.hint,
        probe=check.probe,
    )


def not_run(check: Check, error: str, duration: float = 0.0, *, blocked_by: str = "") -> CheckResult:
    """A check that could not run at all: a failure whose reason is `error`, or the failed
    prerequisite `blocked_by` that kept it from running."""
    return CheckResult(
        name=check.name,
        service=check.service,
        argv=check.run,
        user=check.user,
        passed=False,
        duration=duration,
        expected_exit=check.expect_exit,
        expected_output=check.expect_output,
        exit_code=None,
        timeout=check.timeout,
        error=error,
        graded=check.graded,
        points=check.points,
        hint=check.hint,
        probe=check.probe,
        blocked_by=blocked_by,
    )


def summary(results: Sequence[CheckResult]) -> str:
    """`3 passed, 1 failed` style counts."""
    failed = sum(1 for result in results if not result.passed and not result.blocked_by)
    blocked = sum(1 for result in results if result.blocked_by)
    text = f"{len(results) - failed - blocked} passed, {failed} failed"
    return text + (f", {blocked} not run" if blocked else "")
