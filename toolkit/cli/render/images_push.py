"""Output of `labkit images push`."""

from __future__ import annotations

from toolkit.cli.render import console, err_console
from toolkit.images.push import PushedImage


def pushing(source: str, destination: str) -> None:
    err_console.print(f"pushing {source}", style="dim", markup=False)


def pushed(images: list[PushedImage], engine: str) -> None:
    console.print(f"pushed {len(images)} image{'' if len(images) == 1 else 's'} from {engine}:", markup=False)
    for image in images:
        console.print(f"  {image.destination}", markup=False)
