"""A small course written into a temporary folder, for catalog, graph and builder tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from toolkit.images.catalog import Catalog, load_catalog

# os -> a -> b, os -> c: two independent chains below a shared parent.
SMALL_COURSE = {
    "a": "# a: the shared parent\nFROM labkit/os\nRUN labkit-install ping iproute\nCOPY motd /etc/motd\n",
    "b": "# b: built on a\nFROM labkit/a\nRUN labkit-install dns-tools\n",
    "c": "# c: on its own\nFROM labkit/os\nRUN labkit-install curl\n",
}


def write_course(
    root: Path, images: Mapping[str, str] = SMALL_COURSE, files: Mapping[str, str] | None = None
) -> Path:
    """Write images (name -> Containerfile text) and context files (path -> text) under root."""
    folder = root / "images"
    for name, text in images.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "Containerfile").write_text(text)
    for relative, text in (files if files is not None else {"a/motd": "hello\n"}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def small_catalog(root: Path, images: Mapping[str, str] = SMALL_COURSE) -> Catalog:
    return load_catalog(write_course(root, images))
