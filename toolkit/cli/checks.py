"""`labkit check`, `labkit solve` and `labkit test`: an exercise's checks, its reference
solution, and the course's self-test.

EXERCISE is a folder under the course's compose/ or a path to a Compose file (or its folder).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import BaseOption, EngineOption, JsonOption, ProjectOption
from toolkit.cli.variant import StudentOption
from toolkit.errors import ToolkitError, UsageError

if TYPE_CHECKING:  # types only, so a command loads no more than it runs
    from toolkit.runtime.protocol import Runtime
    from toolkit.stack.model import Stack

ExerciseArgument = Annotated[
    str, typer.Argument(help="An exercise under compose/, or a path to a Compose file.", show_default=False)
]
ExercisesArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Exercises to self-test (or --all).", show_default=False),
]
JunitOption = Annotated[
    Path | None,
    typer.Option("--junit", help="Also write the results as JUnit XML to this file.", show_default=False),
]


def _load(exercise: str, *, base: str | None = None, project: str | None = None) -> Stack:
    """Find and load an exercise's Compose file; `base` sets LABKIT_BASE for interpolation."""
    from toolkit.cli import variant

    return variant.load(exercise, base=base, project=project)


KubeOption = Annotated[bool, typer.Option("--kube", help="Check the pods on a Kubernetes cluster.")]
NamespaceOption = Annotated[
    str | None,
    typer.Option(
        "--namespace", help="With --kube: the namespace (default: the project).", show_default=False
    ),
]
KubeContextOption = Annotated[
    str | None,
    typer.Option("--context", help="With --kube: the kubeconfig context.", show_default=False),
]


def check(
    exercise: ExerciseArgument,
    project: ProjectOption = None,
    student: StudentOption = None,
    json: JsonOption = False,
    junit: JunitOption = None,
    engine: EngineOption = None,
    kube: KubeOption = False,
    namespace: NamespaceOption = None,
    kube_context: KubeContextOption = None,
) -> None:
    """Run the exercise's checks against its running stack: exit 0 if all pass, 1 if not.

    With --kube, against its pods on a Kubernetes or OpenShift cluster (see `export kube`).
    """
    from toolkit.checks.junit import check_runs_to_junit, write_junit
    from toolkit.checks.runner import run_checks
    from toolkit.cli import variant
    from toolkit.cli.render import checks as render

    if kube or namespace or kube_context:
        from toolkit.cli.kube_checks import check_on_cluster

        check_on_cluster(exercise, project, namespace, kube_context, as_json=json, junit=junit)
        return
    runtime, stack, name = variant.running(exercise, project, student, engine=engine, command="check")
    run = run_checks(runtime, stack, name, exercise=exercise)
    render.check_run(run, engine=runtime.name, as_json=json)
    if junit is not None:
        write_junit(check_runs_to_junit([run], engine=runtime.name), junit)
    if not run.passed:
        raise typer.Exit(1)


def solve(
    exercise: ExerciseArgument,
    project: ProjectOption = None,
    student: StudentOption = None,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Apply the exercise's reference solution, step by step; stop at the first failing step."""
    from toolkit.checks.solve import apply_solution
    from toolkit.cli import variant
    from toolkit.cli.render import checks as render

    runtime, stack, name = variant.running(exercise, project, student, engine=engine, command="solve")
    total = len(stack.exercise.solution)
    report = apply_solution(
        runtime,
        stack,
        name,
        exercise=exercise,
        on_step=None if json else (lambda step: render.step(step, total)),
    )
    render.solve_report(report, as_json=json)
    if not report.passed:
        raise typer.Exit(1)


def _exercise_names(names: list[str] | None, all_: bool) -> list[str]:
    from toolkit.course import compose_root, find_compose_file
    from toolkit.stack.compose.loader import load_stack
    from toolkit.stack.listing import list_exercises

    if all_ and names:
        raise UsageError("name exercises or pass --all, not both")
    if not all_:
        if not names:
            raise UsageError("name the exercises to self-test, or pass --all")
        return list(dict.fromkeys(names))
    root = compose_root()
    found = [e.name for e in list_exercises(root, None, locate=find_compose_file, load=load_stack)]
    if not found:
        raise UsageError(f"no exercises found under {root}")
    return found


def test(
    exercises: ExercisesArgument = None,
    all_: Annotated[bool, typer.Option("--all", help="Self-test every exercise of the course.")] = False,
    base: BaseOption = None,
    students: Annotated[
        int,
        typer.Option(
            "--students",
            min=0,
            max=20,
            help="Also self-test an exercise with parameters as this many students' variants.",
        ),
    ] = 2,
    junit: JunitOption = None,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Self-test exercises: graded checks must fail before the solution, all pass after it.

    Each exercise runs as project <exercise>-selftest, removed afterwards; an exercise with
    parameters runs with its defaults, then as each of a few students (their own values).
    """
    from toolkit.checks.junit import self_tests_to_junit, write_junit
    from toolkit.checks.selftest import Problem, SelfTestReport, self_test
    from toolkit.cli.render import checks as render

    names = _exercise_names(exercises, all_)
    runtime = context.open_engine(engine)
    # Marks every self-test stack as this run's: if this process is killed, `labkit gc` (or
    # a test run) removes what it left, while students' own stacks stay.
    run_labels = _run_labels()
    reports: list[SelfTestReport] = []
    for name in names:
        try:
            variants = _selftest_variants(name, base, students)
        except ToolkitError as exc:
            reports.append(
                SelfTestReport(name, "", runtime.name, problems=(Problem("load", f"load: {exc}"),))
            )
            if not json:
                render.self_test(reports[-1])
            continue
        for label, stack, project in variants:
            report = self_test(
                runtime,
                stack,
                exercise=label,
                project=project,
                up=lambda rt, st, project: _selftest_up(rt, st, project, run_labels),
                down=_selftest_down,
                on_phase=None if json else render.phase,
            )
            reports.append(report)
            if not json:
                render.self_test(report)
    render.self_test_summary(reports, as_json=json)
    if junit is not None:
        write_junit(self_tests_to_junit(reports), junit)
    if not all(report.passed for report in reports):
        raise typer.Exit(1)


def _selftest_variants(name: str, base: str | None, students: int) -> list[tuple[str, Stack, str | None]]:
    """(label, stack, project) of each variant to self-test: the file's defaults, then, for an
    exercise with parameters, `students` students' own values (projects of their own)."""
    import secrets

    from toolkit.classroom.secret import course_secret
    from toolkit.course import load_exercise
    from toolkit.stack.naming import project_from_stack_name

    stack = _load(name, base=base)
    found: list[tuple[str, Stack, str | None]] = [(name, stack, None)]
    if not stack.exercise.parameters or students == 0:
        return found
    try:
        secret = course_secret()
    except UsageError:
        secret = secrets.token_bytes(32)  # any secret shows that every variant works
    for number in range(1, students + 1):
        student = f"selftest{number}"
        variant = load_exercise(name, base=base, student=student, secret=secret)
        project = f"{project_from_stack_name(stack.name)}-selftest-s{number}"
        found.append((f"{name} (student {student})", variant, project))
    return found


def _run_labels() -> dict[str, str]:
    from toolkit.stack.naming import LABEL_RUN

    return {LABEL_RUN: f"selftest-{uuid.uuid4().hex[:12]}"}


def _selftest_up(runtime: Runtime, stack: Stack, project: str, labels: dict[str, str]) -> Stack:
    from toolkit.checks.project import renumber_if_clashing, with_labels
    from toolkit.stack.orchestrator import up

    running = with_labels(renumber_if_clashing(runtime, stack, project), labels)
    up(runtime, running, project=project)
    return running


def _selftest_down(runtime: Runtime, stack: Stack, project: str) -> None:
    from toolkit.stack.operations import down

    down(runtime, project, volumes=True)


def register(root: typer.Typer) -> None:
    """Add check, solve and test to the root app."""
    root.command()(check)
    root.command()(solve)
    root.command()(test)
