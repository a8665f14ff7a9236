"""Which engine runs a project: a project remembers its engine.

A host may run both Docker and Podman. A project brought up on one must be found there by
every later command, whichever engine is the default; following advice must never start a
second copy on the other engine (two copies of one exercise share its subnets, and the host
then routes them to either). So a command that names a project looks at every engine, side
by side, through a cheap listing (runtime/peek.py) that loads no engine SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from toolkit.errors import ToolkitError, UsageError
from toolkit.runtime.peek import Peeked, labelled_containers
from toolkit.runtime.select import EngineChoice, available_engines
from toolkit.stack import naming

Peek = Callable[[EngineChoice, Mapping[str, str | None]], list[Peeked]]
Others = Callable[[], list[EngineChoice]]


@dataclass(frozen=True)
class Located:
    """The engine a command works on, and whether the project has containers there."""

    choice: EngineChoice
    found: bool


def _answers(
    choices: Sequence[EngineChoice], labels: Mapping[str, str | None], peek: Peek
) -> list[tuple[EngineChoice, list[Peeked]]]:
    """Each engine's containers carrying `labels`, asked side by side; silent engines skipped."""

    def ask(choice: EngineChoice) -> list[Peeked] | None:
        try:
            return peek(choice, labels)
        except ToolkitError:
            return None  # an engine that stops answering holds nothing we can act on

    with ThreadPoolExecutor(max(1, len(choices)), thread_name_prefix="labkit-peek") as pool:
        answers = list(pool.map(ask, choices))
    return [(choice, found) for choice, found in zip(choices, answers, strict=True) if found is not None]


def engines_holding(
    project: str, choices: Sequence[EngineChoice], peek: Peek = labelled_containers
) -> list[EngineChoice]:
    """The engines among `choices` that hold containers of `project` (running or not)."""
    selector = naming.stack_container_selector(project)
    return [choice for choice, found in _answers(choices, selector, peek) if found]


def _others(asked: EngineChoice, others: Others) -> list[EngineChoice]:
    return [c for c in others() if c.name != asked.name and c.socket != asked.socket]


def locate_project(
    project: str,
    asked: EngineChoice,
    *,
    explicit: bool,
    others: Others = available_engines,
    peek: Peek = labelled_containers,
) -> Located:
    """The engine a command on `project` works on.

    Asked for by name (`explicit`): that engine, when the project is there or nowhere; other
    engines are looked at only when it is not there. Not asked for: every engine, side by
    side, and the one holding the project, else `asked` (the default engine).

    Raises:
        UsageError: the project is up on another engine than the one asked for, or on several
            engines (saying which flag to add).
    """
    if explicit:
        if engines_holding(project, [asked], peek):
            return Located(asked, True)
        elsewhere = engines_holding(project, _others(asked, others), peek)
        if elsewhere:
            name = elsewhere[0].name
            raise UsageError(
                f"project {project} is not up on {asked.name} but on {name}: add --engine {name}"
            )
        return Located(asked, False)
    holding = engines_holding(project, [asked, *_others(asked, others)], peek)
    if len(holding) > 1:
        flags = " or ".join(f"--engine {c.name}" for c in holding)
        raise UsageError(
            f"project {project} is up on {' and on '.join(c.name for c in holding)}: add {flags}"
        )
    return Located(holding[0], True) if holding else Located(asked, False)


def refuse_up_elsewhere(
    project: str, asked: EngineChoice, *, others: Others = available_engines, peek: Peek = labelled_containers
) -> None:
    """Refuse to bring `project` up on `asked` while another engine runs it.

    Raises:
        UsageError: naming the engine that runs it, and the ways out.
    """
    elsewhere = engines_holding(project, _others(asked, others), peek)
    if elsewhere:
        name = elsewhere[0].name
        raise UsageError(
            f"project {project} is already up on {name}: take it down there first "
            f"(labkit down -p {project} --engine {name}), use --engine {name}, "
            "or choose another project name with -p"
        )


def exercise_projects(
    exercise: str, choices: Sequence[EngineChoice], peek: Peek = labelled_containers
) -> list[tuple[str, str]]:
    """(project, engine) of every project of `exercise` with running containers, sorted."""
    selector = {naming.LABEL_EXERCISE: exercise, naming.LABEL_SERVICE: None}
    found = {
        (container.labels.get(naming.LABEL_PROJECT, ""), choice.name)
        for choice, containers in _answers(choices, selector, peek)
        for container in containers
        if container.running
    }
    return sorted(found)


def not_up_error(
    exercise: str, project: str, command: str, projects: Sequence[tuple[str, str]]
) -> UsageError:
    """The error for a command on a project that is not up: name the exercise's projects that
    are up (a forgotten -p), else say how to bring it up. `exercise` as the user typed it."""
    if projects:
        listed = ", ".join(f"{name} ({engine})" for name, engine in projects)
        first = projects[0][0]
        return UsageError(
            f"project {project} is not up; exercise {exercise} is up as {listed}: "
            f"add -p {first} (labkit {command} {exercise} -p {first})"
        )
    hint = f"labkit up {exercise}" + (f" -p {project}" if project != exercise else "")
    return UsageError(
        f"exercise {exercise!r} is not up (no running container of project {project!r}): run `{hint}` first"
    )


def running_projects(
    choices: Sequence[EngineChoice], peek: Peek = labelled_containers
) -> dict[str, list[tuple[str, str]]]:
    """Exercise -> its (project, engine) pairs that have containers, on every engine given."""
    selector = {naming.LABEL_PROJECT: None, naming.LABEL_SERVICE: None}
    found: dict[str, set[tuple[str, str]]] = {}
    for choice, containers in _answers(choices, selector, peek):
        for container in containers:
            exercise = container.labels.get(naming.LABEL_EXERCISE, "")
            found.setdefault(exercise, set()).add(
                (container.labels.get(naming.LABEL_PROJECT, ""), choice.name)
            )
    return {exercise: sorted(pairs) for exercise, pairs in found.items()}
