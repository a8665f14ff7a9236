"""`--student ID`: the commands that load an exercise load that student's variant of it.

`up --student` labels the project with the id; `check`, `solve` and `describe` of that
project (by `--student` or by `-p`) read the label back and derive the same values.
"""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.runtime.protocol import Runtime
from toolkit.stack.model import Stack

StudentOption = Annotated[
    str | None,
    typer.Option(
        "--student",
        "-s",
        help="A student's id: their own values of the exercise's parameters (project <exercise>-<id>).",
        show_default=False,
    ),
]


def load(
    exercise: str,
    *,
    base: str | None = None,
    project: str | None = None,
    student: str | None = None,
    profiles: list[str] | None = None,
) -> Stack:
    """Load an exercise, as `student` gets it when one is named; labelled with the student.

    The project is `project`, else `<exercise>-<student>` for a student, else the exercise's.
    `profiles` enables those Compose profiles (default: $COMPOSE_PROFILES).
    """
    return load_with_values(exercise, base=base, project=project, student=student, profiles=profiles)[0]


def load_with_values(
    exercise: str,
    *,
    base: str | None = None,
    project: str | None = None,
    student: str | None = None,
    profiles: list[str] | None = None,
) -> tuple[Stack, dict[str, str]]:
    """`load`, and the student's parameter values (none without a student)."""
    from toolkit.checks.project import with_labels
    from toolkit.classroom.secret import course_secret
    from toolkit.cli.options import profile_environ
    from toolkit.course import load_exercise, load_exercise_variant
    from toolkit.stack.variants import LABEL_STUDENT, student_project

    environ = profile_environ(profiles)
    if student is None:
        return load_exercise(exercise, base=base, project=project, environ=environ), {}
    if project is None:
        project = student_project(load_exercise(exercise, base=base, environ=environ).name, student)
    stack, chosen = load_exercise_variant(
        exercise, base=base, project=project, student=student, secret=course_secret(), environ=environ
    )
    return with_labels(stack, {LABEL_STUDENT: student}), dict(chosen.values) if chosen else {}


def target(
    exercise: str | None, project: str | None, *, required: bool = True, profiles: list[str] | None = None
) -> tuple[Stack | None, str | None]:
    """The stack (when an exercise is named) and the project name a command works on.

    A running project may hold the services of any profile: without `profiles`, every profile
    is enabled (the stack gives the project's name and the order of its services).

    Raises:
        UsageError: neither is named and `required`.
    """
    if exercise:
        from toolkit.stack.naming import resolve_project

        stack = load(exercise, project=project, profiles=profiles or ["*"])
        return stack, resolve_project(stack, project)
    if project:
        return None, project  # the option's callback applied the project-name rule
    if required:
        from toolkit.errors import UsageError

        raise UsageError("name the exercise, or the project with -p PROJECT")
    return None, None


def student_of(runtime: Runtime, project: str) -> str | None:
    """The student a running project was brought up for, from its containers' label."""
    from toolkit.stack.naming import stack_container_selector
    from toolkit.stack.variants import LABEL_STUDENT

    for info in runtime.list_containers(stack_container_selector(project)):
        if info.labels.get(LABEL_STUDENT):
            return info.labels[LABEL_STUDENT]
    return None


def running(
    exercise: str, project: str | None, student: str | None, *, engine: str | None, command: str
) -> tuple[Runtime, Stack, str]:
    """The engine running the project (whichever runs it, unless one is asked for), and the
    exercise as that project has it: the student's values, its own subnets.

    Raises:
        UsageError: the project is up nowhere, or not on the engine asked for.
    """
    from toolkit.checks.project import stack_as_running
    from toolkit.cli.project_engine import open_for_running
    from toolkit.stack.naming import exercise_name, resolve_project

    stack = load(exercise, project=project, student=student)
    name = resolve_project(stack, project or (stack.name if student else None))
    runtime = open_for_running(name, engine, typed=exercise, exercise=exercise_name(stack), command=command)
    if student is None and stack.exercise.parameters:
        owner = student_of(runtime, name)
        if owner is not None:
            stack = load(exercise, project=name, student=owner)
    return runtime, stack_as_running(runtime, stack, name), name
