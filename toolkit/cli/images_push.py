"""`labkit images push`: course images to a registry a Kubernetes or OpenShift cluster pulls from."""

from __future__ import annotations

from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption
from toolkit.cli.render import images_push as render
from toolkit.errors import UsageError
from toolkit.images import DEFAULT_BASE


def push(
    registry: Annotated[
        str, typer.Option("--registry", help="HOST[:PORT] of the registry (no scheme).", show_default=False)
    ],
    names: Annotated[
        list[str] | None, typer.Argument(help="Course images (or --all).", show_default=False)
    ] = None,
    all_images: Annotated[bool, typer.Option("--all", help="Push every course image.")] = False,
    base: Annotated[
        str, typer.Option("--base", "-b", help="The base the images are built on.")
    ] = DEFAULT_BASE,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="The registry speaks plain HTTP (a lab registry).")
    ] = False,
    engine: EngineOption = None,
) -> None:
    """Push course images as REGISTRY/labkit/NAME:TAG, where `export kube --registry` points pods."""
    from toolkit.course import images_root
    from toolkit.images import get_base, load_catalog
    from toolkit.images.push import push_course_images
    from toolkit.images.registry import check_registry

    checked = check_registry(registry)
    get_base(base)
    if bool(names) == all_images:
        raise UsageError("name the images to push, or pass --all (not both)")
    catalog = load_catalog(images_root())
    chosen = catalog.build_order() if all_images else catalog.select(names)
    runtime = context.open_engine(engine)
    pushed = push_course_images(runtime, chosen, base, checked, insecure=insecure, on_push=render.pushing)
    render.pushed(pushed, runtime.name)


def register(root: typer.Typer) -> None:
    """Add `push` to the `images` command group."""
    from toolkit.cli.images import app as images_app

    images_app.command("push")(push)
