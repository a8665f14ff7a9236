"""The course's self-test: prove that each exercise's checks tell unsolved from solved.

For one exercise: bring a fresh stack up, require that every graded check FAILS (a check
that passes on a fresh stack proves nothing) and every ungraded one passes, apply the
reference solution, require every check to pass, and take the stack down whatever happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from toolkit.checks.results import CheckRun
from toolkit.checks.runner import run_checks
from toolkit.checks.solve import SolveReport, apply_solution
from toolkit.errors import EngineUnavailable, Interrupted, ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.model import Stack

PHASES = ("load", "up", "before", "solve", "after", "down")  # "load": the caller could not load it

# `up` returns the stack as it runs (renumbered, say): its checks and solution are the ones to use.
StackUp = Callable[[Runtime, Stack, str], Stack]
StackDown = Callable[[Runtime, Stack, str], object]
# How the checks run: (runtime, stack as it runs, project, exercise); on the engine by default.
CheckRunner = Callable[[Runtime, Stack, str, str], CheckRun]
PhaseCallback = Callable[[str, str], None]  # (exercise, phase) as each phase starts


@dataclass(frozen=True)
class Problem:
    """One thing the self-test found wrong, tied to the phase and the check or step it is about."""

    phase: str  # one of PHASES
    message: str
    subject: str = ""  # a check's name, or "step N"; empty when about the whole exercise

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class SelfTestReport:
    """One exercise's self-test: what each phase found, and every problem in words."""

    exercise: str
    project: str
    engine: str
    before: CheckRun | None = None
    solution: SolveReport | None = None
    after: CheckRun | None = None
    problems: tuple[Problem, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)  # phase -> seconds
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


def before_problems(run: CheckRun) -> list[Problem]:
    """What is wrong with the checks' results on a fresh, unsolved stack."""
    problems: list[Problem] = []
    if not any(result.graded for result in run.results):
        problems.append(
            Problem("before", "no graded check: nothing tells a solved exercise from an unsolved one")
        )
    for result in run.results:
        if result.graded and result.passed:
            message = (
                f"graded check {result.name!r} ({result.service}) passes before the solution: "
                "it proves nothing"
            )
            problems.append(Problem("before", message, result.name))
        elif not result.graded and not result.passed:
            message = (
                f"ungraded check {result.name!r} ({result.service}) fails on a fresh stack: {result.reason}"
            )
            problems.append(Problem("before", message, result.name))
    return problems


def solve_problems(report: SolveReport) -> list[Problem]:
    """What is wrong with the reference solution's run."""
    if report.total == 0:
        return [Problem("solve", "the exercise has no reference solution")]
    step = report.failed_step
    if step is None:
        return []
    message = f"solution step {step.index} ({step.service}: {step.summary}) failed: {step.reason}"
    return [Problem("solve", message, f"step {step.index}")]


def after_problems(run: CheckRun) -> list[Problem]:
    """What is wrong with the checks' results once the solution is applied."""
    return [
        Problem(
            "after",
            f"check {result.name!r} ({result.service}) fails after the solution: {result.reason}",
            result.name,
        )
        for result in run.failures
    ]


def self_test(
    runtime: Runtime,
    stack: Stack,
    *,
    up: StackUp,
    down: StackDown,
    project: str | None = None,
    exercise: str | None = None,
    on_phase: PhaseCallback | None = None,
    check: CheckRunner | None = None,
) -> SelfTestReport:
    """Self-test one exercise on a stack of its own, and take that stack down in all cases.

    One function, not one per phase: the phases share the `finally` that takes the stack down
    and the record of which phase a failure happened in.

    Args:
        up, down: bring the stack up as `project` (ready for checks; return the stack as it
            runs) and remove it.
        project: the project to run as; `<stack's project>-selftest` by default, so a
            student's own stack of the exercise is left alone.
        on_phase: told as each phase starts.
        check: runs the checks (default: `run_checks` on the engine's containers); the
            export's play on Podman passes the cluster path's runner.

    Raises:
        EngineUnavailable: the engine stopped answering (after trying to take the stack down).
    """
    exercise = exercise or stack.name
    project = project or f"{naming.project_from_stack_name(stack.name)}-selftest"
    run = check or _on_engine
    timings: dict[str, float] = {}
    problems: list[Problem] = []
    before: CheckRun | None = None
    solution: SolveReport | None = None
    after: CheckRun | None = None
    started = time.monotonic()
    phase = "up"

    def enter(name: str) -> float:
        nonlocal phase
        phase = name
        if on_phase is not None:
            on_phase(exercise, name)
        return time.monotonic()

    try:
        mark = enter("up")
        running = up(runtime, stack, project)
        timings["up"] = time.monotonic() - mark

        mark = enter("before")
        before = run(runtime, running, project, exercise)
        timings["before"] = time.monotonic() - mark
        problems += before_problems(before)

        mark = enter("solve")
        solution = apply_solution(runtime, running, project, exercise=exercise)
        timings["solve"] = time.monotonic() - mark
        problems += solve_problems(solution)

        if solution.passed:  # after a failed step every check would only repeat that failure
            mark = enter("after")
            after = run(runtime, running, project, exercise)
            timings["after"] = time.monotonic() - mark
            problems += after_problems(after)
    except (EngineUnavailable, Interrupted):
        raise
    except ToolkitError as exc:
        problems.append(Problem(phase, f"{phase}: {exc}"))
    finally:
        mark = enter("down")
        try:
            down(runtime, stack, project)
        except ToolkitError as exc:
            problems.append(Problem("down", f"down: {exc}"))
        timings["down"] = time.monotonic() - mark
    return SelfTestReport(
        exercise=exercise,
        project=project,
        engine=runtime.name,
        before=before,
        solution=solution,
        after=after,
        problems=tuple(problems),
        timings=timings,
        duration=time.monotonic() - started,
    )


def _on_engine(runtime: Runtime, stack: Stack, project: str, exercise: str) -> CheckRun:
    return run_checks(runtime, stack, project, exercise=exercise)
