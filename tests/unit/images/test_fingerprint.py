"""The content hash: stable for the same inputs, different when any input changes."""

from __future__ import annotations

import shutil
from pathlib import Path

from toolkit.images.catalog import load_catalog
from toolkit.images.families import BASES
from toolkit.images.fingerprint import content_hash
from toolkit.images.rendering import render_containerfile

from .helpers import write_course

BASE = BASES["debian:bookworm"]


def _hash(folder: Path, name: str = "a", parent: str = "sha256:1", args: dict[str, str] | None = None) -> str:
    image = load_catalog(folder).get(name)
    return content_hash(image, render_containerfile(image, BASE), parent, args)


def test_same_inputs_same_hash_wherever_the_course_lives(tmp_path: Path) -> None:
    folder = write_course(tmp_path / "one")
    copy = tmp_path / "elsewhere" / "images"
    shutil.copytree(folder, copy)
    first = _hash(folder)
    assert first.startswith("sha256:") and len(first) == 7 + 64
    assert _hash(folder) == first
    assert _hash(copy) == first


def test_each_input_changes_the_hash(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    first = _hash(folder)
    assert _hash(folder, parent="sha256:2") != first
    assert _hash(folder, args={"X": "1"}) != first
    (folder / "a" / "motd").write_text("changed\n")
    changed_file = _hash(folder)
    assert changed_file != first
    (folder / "a" / "motd").chmod(0o755)
    assert _hash(folder) != changed_file
    (folder / "a" / "extra").write_text("new file\n")
    assert len({first, changed_file, _hash(folder)}) == 3


def test_the_rendered_containerfile_counts_not_the_base_alias(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    image = load_catalog(folder).get("a")
    on_debian = content_hash(image, render_containerfile(image, BASE), "x")
    on_rocky = content_hash(image, render_containerfile(image, BASES["rocky:9"]), "x")
    assert on_debian != on_rocky


def test_group_write_bits_do_not_matter(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    first = _hash(folder)
    (folder / "a" / "motd").chmod(0o664)
    assert _hash(folder) == first


def test_an_image_of_another_folder_is_unaffected(tmp_path: Path) -> None:
    folder = write_course(tmp_path)
    before = _hash(folder, "c")
    (folder / "a" / "motd").write_text("changed\n")
    assert _hash(folder, "c") == before
