"""Judging one command against its check: exit code, then a regex searched in stdout."""

from __future__ import annotations

import pytest

from toolkit.checks.results import head, judge, not_run, summary, timed_out
from toolkit.stack.model import Check

from .scripted import ok, timeout


def check(**changes: object) -> Check:
    fields: dict[str, object] = {"name": "c", "service": "s", "run": ("/bin/sh", "-c", "true")}
    fields.update(changes)
    return Check(**fields)


def test_exit_code_alone_decides_without_expected_output() -> None:
    assert judge(check(), ok("anything")).passed
    failed = judge(check(), ok(code=1))
    assert not failed.passed
    assert failed.reason == "exit code 1, expected 0"
    assert (failed.expected, failed.actual) == ("exit 0", "exit 1")


def test_expected_exit_code_other_than_zero() -> None:
    assert judge(check(expect_exit=1), ok(code=1)).passed
    assert judge(check(expect_exit=1), ok(code=0)).reason == "exit code 0, expected 1"


def test_output_is_searched_not_matched_whole() -> None:
    c = check(expect_output=r"1 received")
    assert judge(c, ok("PING\n1 packets transmitted, 1 received\n")).passed
    failed = judge(c, ok("1 packets transmitted, 0 received\n"))
    assert not failed.passed
    assert failed.reason == "output does not match /1 received/"
    assert failed.expected == "exit 0, stdout ~ /1 received/"


def test_output_pattern_uses_re_search_semantics() -> None:
    # ^ anchors at the start of stdout unless the pattern turns on multi-line mode itself.
    assert not judge(check(expect_output="^b"), ok("a\nb\n")).passed
    assert judge(check(expect_output="(?m)^b"), ok("a\nb\n")).passed


def test_output_is_only_stdout() -> None:
    assert not judge(check(expect_output="oops"), ok("", stderr="oops")).passed


def test_both_exit_code_and_output_must_hold() -> None:
    assert not judge(check(expect_output="yes"), ok("yes", code=2)).passed


def test_bad_pattern_is_a_failure_with_its_reason() -> None:
    result = judge(check(expect_output="("), ok("("))
    assert not result.passed
    assert result.reason.startswith("bad expect_output pattern")


def test_timeout_reads_timed_out_after_n_seconds() -> None:
    result = timed_out(check(timeout=2.0), timeout(2.0, "partial"), 2.01)
    assert not result.passed
    assert result.timed_out
    assert result.exit_code is None
    assert result.reason == "timed out after 2s"
    assert result.actual == "timed out after 2s"
    assert result.stdout == "partial"


def test_fractional_timeout_keeps_its_fraction() -> None:
    assert timed_out(check(timeout=0.5), timeout(0.5), 0.5).reason == "timed out after 0.5s"


def test_not_run_carries_its_error() -> None:
    result = not_run(check(), "service 's' has no running container")
    assert not result.passed
    assert result.reason == result.actual == "service 's' has no running container"


def test_output_head_shows_first_lines_of_stdout_then_stderr() -> None:
    result = judge(check(expect_exit=3), ok("1\n2\n3\n", stderr="e1\ne2\n"))
    assert result.output_head(4) == ("1", "2", "3", "e1")
    assert head("") == ()


def test_huge_output_is_clipped() -> None:
    result = judge(check(), ok("x" * 200_000))
    assert len(result.stdout) < 70_000
    assert result.stdout.endswith("[... output cut ...]")


@pytest.mark.parametrize(("passed", "text"), [(3, "3 passed, 0 failed"), (1, "1 passed, 2 failed")])
def test_summary(passed: int, text: str) -> None:
    results = [judge(check(), ok(code=0 if i < passed else 1)) for i in range(3)]
    assert summary(results) == text
