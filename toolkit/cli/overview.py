"""`labkit ps` and `labkit list`: what runs, on every engine unless one is asked for.

A host may run Docker and Podman side by side, and a project lives on either: without
--engine both are shown, with an engine column. A named project is shown where it runs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, JsonOption, OptionalExercise, ProfileOption, ProjectOption
from toolkit.cli.render import stack as render
from toolkit.cli.variant import target

if TYPE_CHECKING:
    from toolkit.runtime.select import EngineChoice
    from toolkit.stack.outcomes import ServiceStatus

Rows = list[tuple[str, "ServiceStatus"]]


def _engines(engine: str | None) -> tuple[list[EngineChoice], bool]:
    """The engines to show, and whether one was asked for by name."""
    from toolkit.errors import EngineUnavailable
    from toolkit.runtime.select import available_engines

    if engine:
        return [context.choose_engine(engine)], True
    try:
        asked = context.choose_engine(None)
    except EngineUnavailable:
        return [], False
    if asked.source != "detected":
        return [asked], True
    return available_engines() or [asked], False


def _rows(choice: EngineChoice, project: str | None, order: tuple[str, ...]) -> Rows:
    from toolkit.stack.operations import ps as stack_ps

    runtime = context.open_engine(choice)
    return [(choice.name, status) for status in stack_ps(runtime, project, order=order)]


def ps(
    exercise: OptionalExercise = None,
    project: ProjectOption = None,
    profile: ProfileOption = None,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """List the services of a project, or of every labkit project on every engine.

    A named project that is not up exits 1, naming the exercise's projects that are.
    """
    from toolkit.cli import project_engine
    from toolkit.course import names_a_path
    from toolkit.stack.naming import exercise_name

    stack, name = target(exercise, project, required=False, profiles=profile)
    order = tuple(stack.services) if stack else ()
    if name is not None:
        located = project_engine.locate(name, engine)
        rows = _rows(located.choice, name, order) if located.found else []
        render.ps(rows, as_json=json, project=name, with_engine=False)
        if not rows:
            # A path's folder name may be anyone's: only a course exercise's projects are named.
            if stack is not None and exercise and not names_a_path(exercise) and not json:
                _name_the_exercises_projects(exercise_name(stack), name)
            raise typer.Exit(1)
        return
    choices, explicit = _engines(engine)
    if not choices:
        from toolkit.errors import EngineUnavailable

        raise EngineUnavailable("no Docker or Podman engine answers: run 'labkit doctor'")
    with ThreadPoolExecutor(len(choices), thread_name_prefix="labkit-ps") as pool:
        listed = list(pool.map(lambda choice: _rows(choice, None, order), choices))
    render.ps([row for rows in listed for row in rows], as_json=json, project=None, with_engine=not explicit)


def _name_the_exercises_projects(exercise: str, project: str) -> None:
    """After `project is not up`: the exercise's projects that are, if any (a forgotten -p)."""
    from toolkit.cli.render import note
    from toolkit.runtime.select import available_engines
    from toolkit.stack.whereabouts import exercise_projects

    up = [(p, e) for p, e in exercise_projects(exercise, available_engines()) if p != project]
    if up:
        listed = ", ".join(f"{p} ({e})" for p, e in up)
        note(f"exercise {exercise} is up as {listed}: add -p {up[0][0]}")


def list_(
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """List the course's exercises, with their titles and where they are up."""
    from toolkit.course import compose_root, find_compose_file
    from toolkit.stack.compose.loader import load_stack
    from toolkit.stack.listing import list_exercises
    from toolkit.stack.whereabouts import running_projects

    choices, _ = _engines(engine)
    # No engine: still list the exercises; whether they are up stays unknown.
    running = running_projects(choices) if choices else None
    entries = list_exercises(compose_root(), running, locate=find_compose_file, load=load_stack)
    render.exercises(entries, as_json=json)


def register(root: typer.Typer) -> None:
    """Add ps and list to the root app."""
    root.command()(ps)
    root.command("list")(list_)
