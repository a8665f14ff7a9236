"""`labkit handout`: one page a student gets, as HTML (picture inline) or Markdown (Mermaid).

With -p the page shows that project's addresses as it runs (renumbered or not); without, the
exercise file's; with --student, that student's variant (`labkit class handouts` writes one
page per student of a roster).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.graph import ExerciseArgument, load_exercise, write_output
from toolkit.cli.options import EngineOption, ProjectOption
from toolkit.cli.render import graph as render
from toolkit.cli.variant import StudentOption
from toolkit.errors import UsageError
from toolkit.stack.model import Stack
from toolkit.topology.model import Topology

_KINDS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def handout(
    exercise: ExerciseArgument,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="The page to write: FILE.html or FILE.md.", show_default=False),
    ],
    project: ProjectOption = None,
    student: StudentOption = None,
    engine: EngineOption = None,
) -> None:
    """Write a student's page: the task, the picture, the addresses, the checks, how to start."""
    from toolkit.topology.from_stack import topology_from_stack

    kind = page_kind(output)
    stack = load_exercise(exercise, project, student)
    renumbered = False
    if project is None:
        topology = topology_from_stack(stack)
    else:
        from toolkit.topology.from_engine import project_stack, topology_from_engine

        runtime = context.open_engine(engine)
        declared, stack = stack, project_stack(runtime, stack, project)
        renumbered = stack.networks != declared.networks
        topology = topology_from_engine(runtime, declared, project)
        if topology.source != "engine":
            render.not_up(project, runtime.name)
    checks = write_handout(
        output,
        kind,
        stack,
        topology,
        exercise=exercise,
        project=project,
        renumbered=renumbered,
        student=student,
    )
    render.written(output, f"{kind}, {checks} checks, no solution")


def page_kind(output: Path) -> str:
    """html or markdown, from the file name the user gave."""
    kind = _KINDS.get(output.suffix.lower())
    if kind is None:
        raise UsageError(f"cannot tell what to write from {output.name}: name it FILE.html or FILE.md")
    return kind


def write_handout(
    output: Path,
    kind: str,
    stack: Stack,
    topology: Topology,
    *,
    exercise: str,
    project: str | None,
    renumbered: bool = False,
    student: str | None = None,
) -> int:
    """Write one page to `output`; returns how many checks it lists."""
    from toolkit.handout import build_handout
    from toolkit.handout.html import to_html
    from toolkit.handout.markdown import to_markdown
    from toolkit.topology.dot import to_dot
    from toolkit.topology.render import render_image

    page = build_handout(
        stack, topology, exercise=exercise, project=project, renumbered=renumbered, student=student
    )
    if kind == "markdown":
        text = to_markdown(page)
    else:
        svg = render_image(to_dot(topology, titled=False), "svg", instead="write Markdown (-o FILE.md)")
        text = to_html(page, svg.decode())
    write_output(output, text.encode())
    return len(page.checks)


def register(root: typer.Typer) -> None:
    """Add `handout` to the root app."""
    root.command()(handout)
