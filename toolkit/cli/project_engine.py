"""The engine of a command that names a project: the one that runs it (stack/whereabouts.py).

`--engine` (or $LABKIT_ENGINE, or a set CONTAINER_HOST/DOCKER_HOST) asks for one engine;
without any, every engine that answers is looked at, side by side, and the project's own is
used. Only the engine worked on is connected through its SDK.
"""

from __future__ import annotations

from toolkit.cli import context
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, available_engines
from toolkit.stack import whereabouts

DETECTED = "detected"


def _asked(engine: str | None) -> tuple[EngineChoice, bool]:
    """The engine asked for or detected, and whether the user asked for it."""
    choice = context.choose_engine(engine)
    return choice, choice.source != DETECTED


def locate(project: str, engine: str | None) -> whereabouts.Located:
    """Where `project` is: see whereabouts.locate_project."""
    asked, explicit = _asked(engine)
    return whereabouts.locate_project(project, asked, explicit=explicit)


def open_for_project(project: str, engine: str | None) -> tuple[Runtime, bool]:
    """Connect to the engine that runs `project` (or the one asked for); and whether it runs
    there."""
    located = locate(project, engine)
    return context.open_engine(located.choice), located.found


def open_for_running(project: str, engine: str | None, *, typed: str, exercise: str, command: str) -> Runtime:
    """Connect to the engine that runs `project`; refuse when no engine does, naming the
    projects of `exercise` (its label) that are up, when `typed` named a course exercise (a
    forgotten -p; a path's folder name may be anyone's).

    Raises:
        UsageError: the project is up nowhere, or not where asked.
    """
    from toolkit.course import names_a_path

    runtime, found = open_for_project(project, engine)
    if not found:
        projects = [] if names_a_path(typed) else whereabouts.exercise_projects(exercise, available_engines())
        raise whereabouts.not_up_error(typed, project, command, projects)
    return runtime


def choose_for_up(project: str, engine: str | None) -> EngineChoice:
    """The engine `up` works on: the one already running the project, else the one asked for
    (or the default); refused when asked for one while another engine runs the project.

    Raises:
        UsageError: the project is up on another engine than the one asked for.
    """
    asked, explicit = _asked(engine)
    if explicit:
        whereabouts.refuse_up_elsewhere(project, asked)
        return asked
    return whereabouts.locate_project(project, asked, explicit=False).choice
