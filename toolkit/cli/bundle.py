"""`labkit course pack` and `labkit course unpack`: the whole course in one file, for a room
without a registry or internet.

pack builds what is missing and writes images, exercises and a manifest (no solutions unless
--with-solutions); unpack checks every checksum before it loads anything, then loads the images
into the chosen engine and puts compose/ and images/ into --into (default: here), where
`labkit up` finds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption
from toolkit.cli.render import bundle as render

app = typer.Typer(help="Pack the course into one offline bundle, and unpack one.", no_args_is_help=True)


@app.command()
def pack(
    output: Annotated[Path, typer.Option("--output", "-o", help="The bundle to write, e.g. course.tar.")],
    base: Annotated[str, typer.Option("--base", "-b", help="The base the images are built on.")] = (
        "debian:bookworm"
    ),
    with_solutions: Annotated[
        bool, typer.Option("--with-solutions", help="Keep the reference solutions (the instructor's copy).")
    ] = False,
    engine: EngineOption = None,
) -> None:
    """Write the course's images, exercises and a manifest into one file."""
    from toolkit.bundle import pack_course
    from toolkit.bundle.pack import check_output
    from toolkit.course import find_course
    from toolkit.images import get_base

    check_output(output)
    get_base(base)  # an unknown base is refused before any engine is asked
    runtime = context.open_engine(engine)
    result = pack_course(
        runtime,
        find_course(),
        output,
        base=base,
        with_solutions=with_solutions,
        on_event=render.build_event,
    )
    render.packed(result)


@app.command()
def unpack(
    bundle: Annotated[
        Path, typer.Argument(help="A bundle written by `labkit course pack`.", show_default=False)
    ],
    into: Annotated[
        Path, typer.Option("--into", help="Where compose/ and images/ go (default: this folder).")
    ] = Path("."),
    engine: EngineOption = None,
) -> None:
    """Check a bundle, load its images into the engine, and put its exercises in place."""
    from toolkit.bundle import install_bundle, verify_bundle

    verified = verify_bundle(bundle, into)  # every checksum, before any engine is asked
    try:
        runtime = context.open_engine(engine)
    except BaseException:
        verified.discard()
        raise
    render.unpacked(install_bundle(runtime, verified, into.resolve()))


def register(root: typer.Typer) -> None:
    """Add the `course` command group to the root app."""
    root.add_typer(app, name="course")
