"""Discovering course images and the errors a course author can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError, UsageError
from toolkit.images.catalog import load_catalog
from toolkit.images.families import Family
from toolkit.images.graph import CycleError

from .helpers import SMALL_COURSE, small_catalog, write_course


def test_the_course_images() -> None:
    catalog = load_catalog()
    assert catalog.names == ["base", "db", "dns", "netlab", "web"]
    assert catalog.build_order() == ["base", "db", "dns", "netlab", "web"]
    for name in ("netlab", "dns", "web", "db"):
        assert catalog.get(name).parents == ("base",)
    for image in catalog:
        assert image.families == (Family.APT, Family.DNF)
        assert image.description
    assert catalog.get("web").context_files() == [Path("index.html"), Path("nginx.conf")]


def test_unknown_image_lists_the_valid_ones(tmp_path: Path) -> None:
    catalog = small_catalog(tmp_path)
    with pytest.raises(UsageError) as caught:
        catalog.get("nope")
    assert "'nope'" in str(caught.value) and "choose one of a, b, c" in str(caught.value)
    with pytest.raises(UsageError):
        catalog.select(["a", "nope"])
    assert catalog.select(None) == ["a", "b", "c"]
    assert catalog.select(["c", "a", "c"]) == ["c", "a"]


def test_from_an_unknown_course_image_points_at_the_line(tmp_path: Path) -> None:
    folder = write_course(tmp_path, {**SMALL_COURSE, "b": "# b\n\nFROM labkit/zzz\n"})
    with pytest.raises(ConfigError) as caught:
        load_catalog(folder)
    assert caught.value.line == 3
    assert caught.value.file.endswith("b/Containerfile")
    assert "'zzz'" in str(caught.value) and "a, b, c" in str(caught.value)


def test_unknown_package_points_at_the_line(tmp_path: Path) -> None:
    folder = write_course(tmp_path, {"a": "FROM labkit/os\nRUN labkit-install ping iputils-ping\n"}, files={})
    with pytest.raises(ConfigError) as caught:
        load_catalog(folder)
    assert caught.value.line == 2
    assert "'iputils-ping'" in str(caught.value) and "dns-tools" in str(caught.value)


def test_loops_of_from_lines_are_refused(tmp_path: Path) -> None:
    folder = write_course(tmp_path, {"a": "FROM labkit/b\n", "b": "FROM labkit/a\n"}, files={})
    with pytest.raises(CycleError) as caught:
        load_catalog(folder)
    assert "a -> b -> a" in str(caught.value)


def test_an_image_from_itself_is_refused(tmp_path: Path) -> None:
    folder = write_course(tmp_path, {"a": "FROM labkit/a\n"}, files={})
    with pytest.raises(ConfigError, match="FROM itself"):
        load_catalog(folder)


def test_missing_from_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no FROM"):
        load_catalog(write_course(tmp_path / "one", {"a": "RUN true\n"}, files={}))
    (tmp_path / "empty" / "images").mkdir(parents=True)
    with pytest.raises(UsageError, match="holds no image"):
        load_catalog(tmp_path / "empty" / "images")
    with pytest.raises(UsageError, match="no images folder"):
        load_catalog(tmp_path / "nowhere")


def test_os_is_a_reserved_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not 'os'"):
        load_catalog(write_course(tmp_path, {"os": "FROM labkit/os\n"}, files={}))


def test_catalog_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_course(tmp_path)
    monkeypatch.setenv("LABKIT_COURSE", str(tmp_path))
    assert load_catalog().names == ["a", "b", "c"]
