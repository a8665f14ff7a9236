"""`labkit graph`: the picture of an exercise, from its file or from a running project.

Without -p nothing talks to an engine: the file's own addresses are drawn. With -p the engine
is asked: a project that is up is drawn as it runs (renumbered subnets, assigned addresses,
real interface names); one that is not up, with the file's addresses. With --student the
file's addresses are that student's variant of the exercise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, ProjectOption
from toolkit.cli.render import graph as render
from toolkit.cli.variant import StudentOption
from toolkit.errors import UsageError
from toolkit.stack.model import Stack
from toolkit.topology.model import Topology

ExerciseArgument = Annotated[
    str, typer.Argument(help="An exercise under compose/, or a path to a Compose file.", show_default=False)
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="svg, png, dot or mermaid (default: from -o's suffix, else svg).",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file (default: standard output).", show_default=False),
]


def graph(
    exercise: ExerciseArgument,
    project: ProjectOption = None,
    picture_format: FormatOption = None,
    output: OutputOption = None,
    student: StudentOption = None,
    engine: EngineOption = None,
) -> None:
    """Draw an exercise: networks, hosts, routers, interfaces and addresses."""
    from toolkit.topology.formats import BINARY_FORMATS, choose_format, draw

    chosen = choose_format(picture_format, output)
    if output is None and chosen in BINARY_FORMATS and sys.stdout.isatty():
        raise UsageError(f"{chosen} is an image: write it to a file with -o FILE.{chosen}")
    stack = load_exercise(exercise, project, student)
    topology = project_topology(stack, project, engine)
    picture = draw(topology, chosen)
    if output is None:
        render.to_stdout(picture)
        return
    write_output(output, picture)
    render.written(output, f"{chosen}, {len(topology.services)} services, {len(topology.networks)} networks")


def write_output(output: Path, data: bytes) -> None:
    """Write a file the user named; a folder that is missing or not writable is their input."""
    if output.is_dir():
        raise UsageError(f"{output} is a folder: give a file name, e.g. {output / 'lab.svg'}")
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def load_exercise(exercise: str, project: str | None, student: str | None = None) -> Stack:
    """Find and load the exercise (the student's variant when one is named), as stack commands do."""
    from toolkit.cli import variant

    return variant.load(exercise, project=project, student=student)


def project_topology(stack: Stack, project: str | None, engine: str | None) -> Topology:
    """The file's picture without a project; with one, what the engine has (if it is up)."""
    from toolkit.topology.from_stack import topology_from_stack

    if project is None:
        return topology_from_stack(stack)
    from toolkit.topology.from_engine import topology_from_engine

    runtime = context.open_engine(engine)
    topology = topology_from_engine(runtime, stack, project)
    if topology.source != "engine":
        render.not_up(project, runtime.name)
    return topology


def register(root: typer.Typer) -> None:
    """Add `graph` to the root app."""
    root.command()(graph)
