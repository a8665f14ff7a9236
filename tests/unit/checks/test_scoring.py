"""Scored checks: points, hints, and prerequisites that keep a check from running."""

from __future__ import annotations

from pathlib import Path

from toolkit.checks.junit import check_runs_to_junit
from toolkit.checks.runner import run_checks
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check, Exercise, Stack

from .scripted import container, exec_calls, ok, scripted_engine


def stack(*checks: Check) -> Stack:
    return Stack("ex", Path("/c/compose.yaml"), {}, {}, {}, exercise=Exercise(checks=checks))


def check(name: str, script: str, **more: object) -> Check:
    return Check(name=name, service="a", run=("/bin/sh", "-c", script), **more)  # type: ignore[arg-type]


def answer(service: str, argv: tuple[str, ...]) -> ExecResult:
    return ok("", code=0 if argv[-1] == "good" else 1)


def test_score_counts_the_points_of_passed_graded_checks() -> None:
    fake = scripted_engine([container("p", "a")], answer)
    run = run_checks(
        fake,
        stack(
            check("three", "good", points=3),
            check("two", "bad", points=2, hint="look at the route"),
            check("one", "good"),
            check("sanity", "good", graded=False, points=5),
        ),
        "p",
    )
    assert (run.score, run.max_score, run.score_text) == (4, 6, "4/6 points")
    failed = run.failures[0]
    assert (failed.name, failed.hint, failed.earned) == ("two", "look at the route", 0)


def test_a_check_whose_prerequisite_fails_is_not_run_and_names_it() -> None:
    fake = scripted_engine([container("p", "a")], answer)
    told: list[str] = []
    run = run_checks(
        fake,
        stack(
            check("base", "bad"),
            check("ok", "good"),
            check("needs base", "good", requires=("base",)),
            check("needs ok", "good", requires=("ok",), points=2),
            check("needs needs base", "good", requires=("needs base",)),
        ),
        "p",
        on_result=lambda result: told.append(result.name),
    )
    by_name = {result.name: result for result in run.results}
    assert by_name["needs base"].reason == "not run: requires 'base', which did not pass"
    assert by_name["needs needs base"].blocked_by == "needs base"
    assert by_name["needs ok"].passed
    assert (
        told
        == [result.name for result in run.results]
        == ["base", "ok", "needs base", "needs ok", "needs needs base"]
    )
    ran = [argv[-1] for _, argv, _, _ in exec_calls(fake)]
    assert len(ran) == 3  # the two blocked checks never reached the engine
    assert run.score_text == "3/6 points"


def test_junit_carries_points_and_marks_blocked_checks_skipped() -> None:
    fake = scripted_engine([container("p", "a")], answer)
    run = run_checks(
        fake,
        stack(check("base", "bad", points=2), check("next", "good", requires=("base",))),
        "p",
    )
    root = check_runs_to_junit([run]).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert (props["score"], props["max_score"]) == ("0", "3")
    cases = suite.findall("testcase")
    points = [{p.get("name"): p.get("value") for p in c.findall("properties/property")} for c in cases]
    assert points == [{"points": "2", "earned": "0"}, {"points": "1", "earned": "0"}]
    assert cases[1].find("skipped") is not None
    assert (root.get("failures"), root.get("skipped")) == ("1", "1")
