"""`labkit images`: list, build, bootstrap, save, load and render the course's images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, JsonOption
from toolkit.cli.render import images as render
from toolkit.cli.render import note
from toolkit.errors import UsageError
from toolkit.images import (
    DEFAULT_BASE,
    BootstrapResult,
    BuildReport,
    CourseBuilder,
    bootstrap_image,
    get_base,
    list_course_images,
    load_catalog,
    load_course_images,
    render_containerfile,
    save_course_images,
)
from toolkit.images.bootstrap import bootstrappable_base, cache_dir, resolve_mirror, tarball_path
from toolkit.images.catalog import Catalog

app = typer.Typer(help="Build, list, save and load course images.", no_args_is_help=True)

NamesArgument = Annotated[
    list[str] | None, typer.Argument(help="Course images (or --all).", show_default=False)
]
SavedNamesArgument = Annotated[
    list[str] | None, typer.Argument(help="Course images (default: every one).", show_default=False)
]
ImagesDirOption = Annotated[
    Path | None,
    typer.Option(
        "--images-dir", help="The course's images/ folder (default: the course's).", show_default=False
    ),
]
BasesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--base", "-b", help=f"Base alias, repeatable (default: {DEFAULT_BASE}).", show_default=False
    ),
]
BaseOption = Annotated[str, typer.Option("--base", "-b", help="Base alias, e.g. debian:bookworm or rocky:9.")]


def _catalog(images_dir: Path | None) -> Catalog:
    return load_catalog(images_dir)


@app.command("list")
def list_images(
    engine: EngineOption = None, json: JsonOption = False, images_dir: ImagesDirOption = None
) -> None:
    """List course images: families, parents, the tags on this engine and whether they are current."""
    catalog = _catalog(images_dir)
    runtime = context.open_engine(engine)
    render.listing(list_course_images(runtime, catalog), engine=runtime.name, as_json=json)


@app.command()
def build(
    names: NamesArgument = None,
    base: BasesOption = None,
    all_images: Annotated[bool, typer.Option("--all", help="Build every course image.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if nothing changed.")] = False,
    engine: EngineOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
    json: JsonOption = False,
    images_dir: ImagesDirOption = None,
) -> None:
    """Build course images and the images they are built FROM; skip what did not change."""
    if not names and not all_images:
        raise UsageError("name the images to build, or pass --all")
    if names and all_images:
        raise UsageError("name images or pass --all, not both")
    catalog = _catalog(images_dir)
    bases = [get_base(alias) for alias in dict.fromkeys(base or [DEFAULT_BASE])]
    runtime = context.open_engine(engine)
    reports: list[BuildReport] = []
    for chosen in bases:
        with render.BuildProgress(chosen.alias, quiet=quiet or json, steps=context.is_verbose()) as progress:
            builder = CourseBuilder(runtime, catalog, chosen, force=force, on_event=progress.on_event)
            reports.append(builder.build(names or None))
    if json:
        render.build_json(reports)
    else:
        render.build_summary(reports, quiet=quiet)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


@app.command()
def bootstrap(
    alias: Annotated[str, typer.Argument(help="A Debian or Ubuntu base, e.g. debian:bookworm.")] = (
        DEFAULT_BASE
    ),
    engine: EngineOption = None,
    all_engines: Annotated[
        bool, typer.Option("--all-engines", help="Import into every engine that answers.")
    ] = False,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror", help="Archive mirror (default for Debian: deb.debian.org).", show_default=False
        ),
    ] = None,
    keyring: Annotated[
        Path | None,
        typer.Option("--keyring", help="Archive keyring for debootstrap (Ubuntu).", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Import again even if the image is there.")] = False,
    json: JsonOption = False,
) -> None:
    """Make a Debian/Ubuntu base image offline: debootstrap once, import into the engine(s)."""
    if engine and all_engines:
        raise UsageError("choose --engine or --all-engines, not both")
    if all_engines:
        from toolkit.runtime.select import available_engines

        names = [choice.name for choice in available_engines()]
        if not names:
            context.open_engine(None)  # raises EngineUnavailable with the sockets tried
    else:
        names = [context.choose_engine(engine).name]
    base = bootstrappable_base(alias)
    if not json and not tarball_path(base, resolve_mirror(base, mirror), cache_dir()).is_file():
        note(f"debootstrap of {alias} (about 25 s, once: the rootfs tarball is cached)")
    output = render.bootstrap_output if context.is_verbose() else None
    results: list[tuple[str, BootstrapResult]] = []
    for name in names:
        runtime = context.open_engine(name)
        result = bootstrap_image(
            runtime, alias, mirror=mirror, keyring=keyring, force=force, on_output=output
        )
        results.append((runtime.name, result))
        if not json:
            render.bootstrap_result(runtime.name, result)
    if json:
        render.bootstrap_json(results)


@app.command()
def save(
    output: Annotated[Path, typer.Option("--output", "-o", help="The archive to write.")],
    names: SavedNamesArgument = None,
    base: BaseOption = DEFAULT_BASE,
    engine: EngineOption = None,
    images_dir: ImagesDirOption = None,
) -> None:
    """Save course images (default: all) for one base into one tar, for `labkit images load`."""
    catalog = _catalog(images_dir)
    runtime = context.open_engine(engine)
    tags = save_course_images(runtime, catalog, output, names or None, base)
    render.saved(tags, output)


@app.command()
def load(
    archive: Annotated[Path, typer.Argument(help="A tar written by `labkit images save`.")],
    engine: EngineOption = None,
) -> None:
    """Load images from an archive written by `labkit images save` (or docker/podman save)."""
    runtime = context.open_engine(engine)
    render.loaded(load_course_images(runtime, archive), archive)


@app.command("render")
def render_command(
    name: Annotated[str, typer.Argument(help="A course image.")],
    base: BaseOption = DEFAULT_BASE,
    images_dir: ImagesDirOption = None,
) -> None:
    """Print the Containerfile a course image is built from on one base (no engine needed)."""
    catalog = _catalog(images_dir)
    render.rendered(render_containerfile(catalog.get(name), get_base(base)))
