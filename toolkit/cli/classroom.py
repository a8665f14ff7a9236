"""`labkit class`: a roster's worth of one exercise, each student with their own variant.

    labkit class secret                                   make the course secret (once)
    labkit class up EXERCISE --roster class.csv           every student's stack, renumbered
    labkit class check EXERCISE --roster class.csv --csv  the gradebook
    labkit class watch EXERCISE --roster class.csv        live progress, for the room's screen
    labkit class down EXERCISE --roster class.csv

Each student's project is `<exercise>-<id>`: the same one `labkit up EXERCISE --student ID`
makes, so a student's own commands and the instructor's see the same stack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import BaseOption, EngineOption, JsonOption
from toolkit.errors import UsageError
from toolkit.stack.model import Stack

app = typer.Typer(help="Run and grade one exercise for a whole class (a roster).", no_args_is_help=True)

ExerciseArgument = Annotated[
    str, typer.Argument(help="An exercise under compose/, or a path to a Compose file.", show_default=False)
]
RosterOption = Annotated[
    Path,
    typer.Option("--roster", "-r", help="The class: a CSV file of id,name[,email].", show_default=False),
]
ParallelOption = Annotated[
    int | None,
    typer.Option("--parallel", min=1, max=32, help="Students handled at once.", show_default=False),
]

if TYPE_CHECKING:  # imported late at run time: `labkit --help` need not load them
    from toolkit.classroom.gradebook import Gradebook
    from toolkit.classroom.grading import StudentLoader
    from toolkit.classroom.roster import Student


def _class(exercise: str, roster: Path, base: str | None) -> tuple[list[Student], Stack, StudentLoader]:
    """The roster, the exercise as declared, and a loader of each student's variant."""
    from toolkit.checks.project import with_labels
    from toolkit.classroom.roster import read_roster
    from toolkit.classroom.secret import course_secret
    from toolkit.course import load_exercise
    from toolkit.stack.variants import LABEL_STUDENT, student_project

    students = list(read_roster(roster))
    declared = load_exercise(exercise, base=base)
    secret = course_secret()

    def load(student: Student) -> Stack:
        project = student_project(declared.name, student.id)
        stack = load_exercise(exercise, base=base, student=student.id, secret=secret, project=project)
        return with_labels(stack, {LABEL_STUDENT: student.id})

    return students, declared, load


@app.command()
def secret() -> None:
    """Make the course secret students' values are derived from, unless it exists; print where."""
    from toolkit.classroom.secret import SECRET_ENV, ensure_secret_file
    from toolkit.cli.render import classroom as render

    if os.environ.get(SECRET_ENV):
        render.secret_note(None, made=False)
        return
    path, made = ensure_secret_file()
    render.secret_note(path, made=made)


@app.command()
def up(
    exercise: ExerciseArgument,
    roster: RosterOption,
    base: BaseOption = None,
    parallel: ParallelOption = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each stack.")] = 120.0,
    subnet_pool: Annotated[
        str | None,
        typer.Option("--subnet-pool", help="Where students' subnets come from.", show_default=False),
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Bring every student's variant of the exercise up, each renumbered into subnets of its own."""
    from toolkit.classroom.grading import UP_PARALLEL, class_up
    from toolkit.cli.render import classroom as render
    from toolkit.stack.elsewhere import subnets_elsewhere
    from toolkit.stack.placement import Renumbering
    from toolkit.stack.renumber import resolve_pool

    students, declared, load = _class(exercise, roster, base)
    pool = resolve_pool(subnet_pool, os.environ)
    choice = context.choose_engine(engine)
    runtime = context.open_engine(engine)
    # Other engines' networks and the host's interfaces: the class avoids them all.
    renumbering = Renumbering(pool=pool, taken_elsewhere=tuple(subnets_elsewhere(choice.name).values()))
    with render.ClassProgress(f"class up {declared.name}", len(students)) as progress:
        outcomes = class_up(
            runtime,
            students,
            load,
            renumbering=renumbering,
            timeout=timeout,
            parallel=parallel or UP_PARALLEL,
            on_done=progress.done,
        )
    render.outcomes("up", outcomes)
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@app.command()
def down(
    exercise: ExerciseArgument,
    roster: RosterOption,
    parallel: ParallelOption = None,
    engine: EngineOption = None,
) -> None:
    """Remove every student's stack of the exercise (containers, probes, networks, volumes)."""
    from toolkit.classroom.grading import UP_PARALLEL, class_down
    from toolkit.classroom.roster import read_roster
    from toolkit.cli.render import classroom as render
    from toolkit.course import load_exercise
    from toolkit.stack.variants import student_project

    students = read_roster(roster)
    name = load_exercise(exercise).name
    projects = {student: student_project(name, student.id) for student in students}
    runtime = context.open_engine(engine)
    with render.ClassProgress(f"class down {name}", len(students)) as progress:
        outcomes = class_down(runtime, projects, parallel=parallel or UP_PARALLEL, on_done=progress.done)
    render.outcomes("down", outcomes)
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@app.command()
def check(
    exercise: ExerciseArgument,
    roster: RosterOption,
    csv: Annotated[bool, typer.Option("--csv", help="Print the gradebook as CSV.")] = False,
    json: JsonOption = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML to this file.", show_default=False)
    ] = None,
    parallel: ParallelOption = None,
    engine: EngineOption = None,
) -> None:
    """Grade the class: every student's checks, a table of students × checks with points.

    Exit 0 once every student is graded (whatever their score); 1 when a student's stack is
    not up or could not be checked.
    """
    from toolkit.checks.junit import write_junit
    from toolkit.classroom.gradebook import gradebook_junit
    from toolkit.cli.render import classroom as render

    book = _grade(exercise, roster, parallel, engine)
    render.gradebook(book, as_csv=csv, as_json=json)
    if junit is not None:
        write_junit(gradebook_junit(book), junit)
    if book.not_up:
        raise typer.Exit(1)


def _grade(exercise: str, roster: Path, parallel: int | None, engine: str | None) -> Gradebook:
    from toolkit.classroom.grading import CHECK_PARALLEL, class_check

    students, declared, load = _class(exercise, roster, None)
    runtime = context.open_engine(engine)
    return class_check(
        runtime,
        students,
        load,
        exercise=declared.name,
        checks=declared.exercise.checks,
        parallel=parallel or CHECK_PARALLEL,
    )


@app.command()
def watch(
    exercise: ExerciseArgument,
    roster: RosterOption,
    interval: Annotated[float, typer.Option("--interval", min=1.0, help="Seconds between refreshes.")] = 5.0,
    count: Annotated[
        int, typer.Option("--count", min=0, help="Stop after this many refreshes (0: never).")
    ] = 0,
    parallel: ParallelOption = None,
    engine: EngineOption = None,
) -> None:
    """A live view of each student's progress (checks passing, points); Ctrl-C to leave."""
    from toolkit.classroom.grading import CHECK_PARALLEL, class_check
    from toolkit.cli.render import classroom as render

    students, declared, load = _class(exercise, roster, None)
    runtime = context.open_engine(engine)
    try:
        with render.Watch() as view:
            shown = 0
            while count == 0 or shown < count:
                book = class_check(
                    runtime,
                    students,
                    load,
                    exercise=declared.name,
                    checks=declared.exercise.checks,
                    parallel=parallel or CHECK_PARALLEL,
                )
                shown += 1
                view.show(book, interval if count == 0 or shown < count else 0.0)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None  # Ctrl-C is how a watch ends


@app.command()
def handouts(
    exercise: ExerciseArgument,
    roster: RosterOption,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The folder for the pages.", show_default=False)
    ],
    markdown: Annotated[bool, typer.Option("--markdown", help="Write FILE.md pages, not HTML.")] = False,
) -> None:
    """Write one handout per student: their own addresses and names, never the solution."""
    from toolkit.cli.handout import write_handout
    from toolkit.cli.render import graph as render
    from toolkit.topology.from_stack import topology_from_stack

    students, declared, load = _class(exercise, roster, None)
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file: give a folder for the pages, e.g. {output.with_suffix('')}")
    output.mkdir(parents=True, exist_ok=True)
    kind, suffix = ("markdown", ".md") if markdown else ("html", ".html")
    for student in students:
        stack = load(student)
        page = output / f"{student.id}{suffix}"
        write_handout(
            page, kind, stack, topology_from_stack(stack), exercise=exercise, project=None, student=student.id
        )
    render.written(output, f"{len(students)} {kind} pages for {declared.name}, no solution")


def register(root: typer.Typer) -> None:
    """Add the `class` group to the root app."""
    root.add_typer(app, name="class")
