"""The course's exercises: the folders under compose/, their titles, and which are up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.stack.model import Stack

Loader = Callable[[Path], Stack]


@dataclass(frozen=True)
class ExerciseEntry:
    name: str  # the folder's name: what `labkit up NAME` takes
    title: str = ""
    file: Path | None = None
    error: str = ""  # why the exercise does not load, if it does not
    up: bool | None = None  # None: no engine to ask
    projects: tuple[str, ...] = ()  # the projects of this exercise that have containers
    engines: tuple[str, ...] = ()  # the engine of each of those projects, in the same order


def list_exercises(
    compose_root: Path,
    running: Mapping[str, Sequence[tuple[str, str]]] | None,
    *,
    locate: Callable[[str, Path], Path],
    load: Loader,
) -> list[ExerciseEntry]:
    """Every exercise folder under `compose_root`, loaded with `load`, and whether it is up.

    `running` maps an exercise to its (project, engine) pairs that have containers (None: no
    engine was asked). A folder that fails to load is listed with its error rather than hiding
    the others.
    """
    if not compose_root.is_dir():
        return []
    entries = []
    for folder in sorted(p for p in compose_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        pairs = sorted((running or {}).get(folder.name, ()))
        up = None if running is None else bool(pairs)
        projects = tuple(project for project, _ in pairs)
        engines = tuple(engine for _, engine in pairs)
        try:
            file = locate(folder.name, compose_root)
        except ToolkitError:
            continue  # not an exercise: no Compose file in it
        try:
            stack = load(file)
        except ToolkitError as exc:
            entries.append(
                ExerciseEntry(
                    folder.name, file=file, error=str(exc), up=up, projects=projects, engines=engines
                )
            )
            continue
        entries.append(ExerciseEntry(folder.name, stack.exercise.title, file, "", up, projects, engines))
    return entries
