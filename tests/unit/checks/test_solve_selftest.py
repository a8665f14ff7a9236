"""The reference solution and the course self-test, against a fake whose state the steps change."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.checks.selftest import SelfTestReport, self_test
from toolkit.checks.solve import apply_solution
from toolkit.errors import EngineGone, StackError
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check, Exercise, SolutionStep, Stack

from .scripted import add_container, container, exec_calls, ok, scripted_engine, timeout


def sh(script: str) -> tuple[str, ...]:
    return ("/bin/sh", "-c", script)


class Lab:
    """A pretend exercise: `solve-N` commands set flags that `test FLAG` checks read."""

    def __init__(self, project: str = "ex-selftest") -> None:
        self.flags: set[str] = {"base"}
        self.up_calls: list[str] = []
        self.down_calls: list[str] = []
        self.fake = scripted_engine([], self.handle, name="fake")
        self.project = project

    def handle(self, service: str, argv: tuple[str, ...]) -> ExecResult:
        command = argv[-1] if argv[0] == "/bin/sh" else " ".join(argv)
        verb, _, arg = command.partition(" ")
        if verb == "set":
            self.flags.add(arg)
            return ok(f"set {arg}\n")
        if verb == "fail":
            return ok("", code=1, stderr="nope\n")
        if verb == "hang":
            raise timeout(1.0, "started\n")
        if verb == "test":
            return ok("yes\n" if arg in self.flags else "", code=0 if arg in self.flags else 1)
        raise AssertionError(command)

    def up(self, runtime: object, stack: Stack, project: str) -> Stack:
        self.up_calls.append(project)
        for service in ("a", "b"):
            add_container(self.fake, container(project, service))
        return stack

    def down(self, runtime: object, stack: Stack, project: str) -> None:
        self.down_calls.append(project)
        for name in list(self.fake.containers):
            self.fake.remove_container(name)


def exercise_stack(checks: tuple[Check, ...], solution: tuple[SolutionStep, ...]) -> Stack:
    return Stack(
        name="ex",
        file=Path("/course/compose/ex/compose.yaml"),
        services={},
        networks={},
        volumes={},
        exercise=Exercise(checks=checks, solution=solution),
    )


GOOD_CHECKS = (
    Check("route set", "a", sh("test route")),
    Check("dns set", "b", sh("test dns")),
    Check("base works", "a", sh("test base"), graded=False),
)
GOOD_SOLUTION = (SolutionStep("a", sh("set route")), SolutionStep("b", sh("set dns")))


# ------------------------------------------------------------------ solve


def test_solution_steps_run_in_order_in_their_services() -> None:
    lab = Lab("p")
    lab.up(None, exercise_stack((), ()), "p")
    seen: list[int] = []
    stack = exercise_stack((), GOOD_SOLUTION)
    report = apply_solution(lab.fake, stack, "p", on_step=lambda s: seen.append(s.index))
    assert report.passed
    assert seen == [1, 2]
    assert [(c[0], c[1][-1]) for c in exec_calls(lab.fake)] == [("a", "set route"), ("b", "set dns")]
    assert report.steps[0].command == "set route"
    assert report.steps[0].output_head() == ("set route",)


def test_solution_stops_at_the_first_failing_step() -> None:
    lab = Lab("p")
    lab.up(None, exercise_stack((), ()), "p")
    solution = (SolutionStep("a", sh("set x")), SolutionStep("b", sh("fail")), SolutionStep("a", sh("set y")))
    report = apply_solution(lab.fake, exercise_stack((), solution), "p")
    assert not report.passed
    assert len(report.steps) == 2 and report.total == 3
    failed = report.failed_step
    assert failed is not None and failed.index == 2 and failed.reason == "exit code 1"
    assert failed.output_head() == ("nope",)
    assert "y" not in lab.flags


def test_a_step_that_times_out_fails_with_its_timeout() -> None:
    lab = Lab("p")
    lab.up(None, exercise_stack((), ()), "p")
    report = apply_solution(lab.fake, exercise_stack((), (SolutionStep("a", sh("hang"), timeout=1.0),)), "p")
    step = report.steps[0]
    assert step.timed_out and step.reason == "timed out after 1s" and step.stdout == "started\n"


def test_an_argv_step_shows_as_its_words() -> None:
    lab = Lab("p")
    lab.up(None, exercise_stack((), ()), "p")
    report = apply_solution(lab.fake, exercise_stack((), (SolutionStep("a", ("set", "z")),)), "p")
    assert report.steps[0].command == "set z"


# ------------------------------------------------------------------ self-test


def run_self_test(lab: Lab, stack: Stack) -> tuple[SelfTestReport, list[str]]:
    phases: list[str] = []
    report = self_test(
        lab.fake, stack, up=lab.up, down=lab.down, on_phase=lambda exercise, phase: phases.append(phase)
    )
    return report, phases


def test_a_sound_exercise_passes_and_every_phase_runs() -> None:
    lab = Lab()
    report, phases = run_self_test(lab, exercise_stack(GOOD_CHECKS, GOOD_SOLUTION))
    assert report.passed, report.problems
    assert phases == ["up", "before", "solve", "after", "down"]
    assert lab.up_calls == lab.down_calls == ["ex-selftest"]
    assert report.project == "ex-selftest" and report.engine == "fake"
    assert [r.passed for r in report.before.results] == [False, False, True]
    assert report.after.passed
    assert set(report.timings) == {"up", "before", "solve", "after", "down"}


def test_a_graded_check_that_already_passes_proves_nothing() -> None:
    lab = Lab()
    checks = (*GOOD_CHECKS, Check("always", "a", sh("test base")))
    report, _ = run_self_test(lab, exercise_stack(checks, GOOD_SOLUTION))
    assert [str(p) for p in report.problems] == [
        "graded check 'always' (a) passes before the solution: it proves nothing"
    ]
    assert lab.down_calls == ["ex-selftest"]


def test_an_ungraded_check_must_hold_on_a_fresh_stack() -> None:
    lab = Lab()
    checks = (*GOOD_CHECKS, Check("needs route", "a", sh("test route"), graded=False))
    report, _ = run_self_test(lab, exercise_stack(checks, GOOD_SOLUTION))
    assert [str(p) for p in report.problems] == [
        "ungraded check 'needs route' (a) fails on a fresh stack: exit code 1, expected 0"
    ]


def test_a_check_the_solution_does_not_satisfy_fails_after() -> None:
    lab = Lab()
    checks = (*GOOD_CHECKS, Check("firewall", "b", sh("test firewall")))
    report, _ = run_self_test(lab, exercise_stack(checks, GOOD_SOLUTION))
    assert [(p.phase, p.subject) for p in report.problems] == [("after", "firewall")]


def test_a_failing_solution_step_skips_the_after_checks_but_not_down() -> None:
    lab = Lab()
    solution = (SolutionStep("a", sh("set route")), SolutionStep("b", sh("fail")))
    report, phases = run_self_test(lab, exercise_stack(GOOD_CHECKS, solution))
    assert phases == ["up", "before", "solve", "down"]
    assert [str(p) for p in report.problems] == ["solution step 2 (b: fail) failed: exit code 1"]
    assert report.after is None


def test_no_graded_check_and_no_solution_are_problems() -> None:
    lab = Lab()
    report, _ = run_self_test(lab, exercise_stack((Check("base", "a", sh("test base"), graded=False),), ()))
    assert [p.phase for p in report.problems] == ["before", "solve"]


def test_a_stack_that_does_not_come_up_is_a_problem_and_is_still_taken_down() -> None:
    lab = Lab()

    def broken_up(runtime: object, stack: Stack, project: str) -> Stack:
        raise StackError("service a did not become healthy", service="a")

    report = self_test(lab.fake, exercise_stack(GOOD_CHECKS, GOOD_SOLUTION), up=broken_up, down=lab.down)
    assert [str(p) for p in report.problems] == ["up: service a did not become healthy"]
    assert lab.down_calls == ["ex-selftest"]


def test_a_failing_down_is_reported() -> None:
    lab = Lab()

    def broken_down(runtime: object, stack: Stack, project: str) -> None:
        raise StackError("network busy")

    report = self_test(lab.fake, exercise_stack(GOOD_CHECKS, GOOD_SOLUTION), up=lab.up, down=broken_down)
    assert [str(p) for p in report.problems] == ["down: network busy"]


def test_an_interrupt_still_takes_the_stack_down() -> None:
    lab = Lab()

    def interrupted_up(runtime: object, stack: Stack, project: str) -> Stack:
        lab.up(runtime, stack, project)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        self_test(lab.fake, exercise_stack(GOOD_CHECKS, GOOD_SOLUTION), up=interrupted_up, down=lab.down)
    assert lab.down_calls == ["ex-selftest"]


def test_a_lost_engine_propagates_after_trying_down() -> None:
    lab = Lab()

    def gone(runtime: object, stack: Stack, project: str) -> Stack:
        raise EngineGone("podman stopped answering")

    with pytest.raises(EngineGone):
        self_test(lab.fake, exercise_stack(GOOD_CHECKS, GOOD_SOLUTION), up=gone, down=lab.down)
    assert lab.down_calls == ["ex-selftest"]


def test_project_can_be_chosen() -> None:
    lab = Lab()
    stack = exercise_stack(GOOD_CHECKS, GOOD_SOLUTION)
    report = self_test(lab.fake, stack, up=lab.up, down=lab.down, project="mine")
    assert report.passed and lab.up_calls == ["mine"]


def test_checks_and_solution_come_from_the_stack_up_returns() -> None:
    lab = Lab()
    written = exercise_stack((Check("never", "a", sh("test never")),), ())

    def renumbering_up(runtime: object, stack: Stack, project: str) -> Stack:
        lab.up(runtime, stack, project)
        return exercise_stack(GOOD_CHECKS, GOOD_SOLUTION)  # as if its addresses were rewritten

    report = self_test(lab.fake, written, up=renumbering_up, down=lab.down)
    assert report.passed, report.problems


def test_a_multi_line_script_shows_its_first_line() -> None:
    lab = Lab("p")
    lab.up(None, exercise_stack((), ()), "p")
    script = "set a\necho b\necho c\n"
    report = apply_solution(lab.fake, exercise_stack((), (SolutionStep("a", sh(script)),)), "p")
    step = report.steps[0]
    assert step.summary == "set a (+2 lines)"
    assert step.command == script
