"""The course: where it is, and finding and loading an exercise from a name, a folder or a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.course import find_compose_file
from toolkit.errors import UsageError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name, file in (("routing", "compose.yaml"), ("dns", "docker-compose.yml")):
        (tmp_path / name).mkdir()
        (tmp_path / name / file).write_text("services: {}\n")
    (tmp_path / "notes").mkdir()  # a folder without a Compose file is no exercise
    return tmp_path


def test_a_name_under_the_root(root: Path) -> None:
    assert find_compose_file("routing", root) == root / "routing" / "compose.yaml"
    assert find_compose_file("dns", root) == root / "dns" / "docker-compose.yml"


def test_a_folder_or_a_file_path(root: Path, tmp_path: Path) -> None:
    assert find_compose_file(str(root / "routing"), tmp_path / "x") == root / "routing" / "compose.yaml"
    file = root / "dns" / "docker-compose.yml"
    assert find_compose_file(str(file), tmp_path / "x") == file


def test_compose_yaml_is_preferred_like_compose_does(root: Path) -> None:
    (root / "routing" / "docker-compose.yaml").write_text("services: {}\n")
    assert find_compose_file("routing", root).name == "compose.yaml"


def test_an_unknown_name_lists_the_exercises(root: Path) -> None:
    with pytest.raises(UsageError) as caught:
        find_compose_file("routng", root)
    assert str(caught.value) == (
        "unknown exercise 'routng' (did you mean 'routing'?); available exercises: dns, routing"
    )


def test_a_folder_without_a_compose_file(root: Path) -> None:
    with pytest.raises(UsageError, match="no Compose file in"):
        find_compose_file(str(root / "notes"), root)


def test_a_missing_path(root: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder: nowhere/compose.yaml"):
        find_compose_file("nowhere/compose.yaml", root)


def test_no_exercises_at_all(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no exercises found under"):
        find_compose_file("anything", tmp_path / "missing")


def test_the_course_is_labkit_course_else_the_nearest_folder_holding_compose_or_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.course import compose_root, course_of, find_course, images_root

    course = tmp_path / "course"
    (course / "compose" / "routing").mkdir(parents=True)
    (course / "images").mkdir()
    deep = course / "notes" / "week1"
    deep.mkdir(parents=True)
    monkeypatch.delenv("LABKIT_COURSE", raising=False)
    assert find_course(deep) == course
    assert compose_root(deep) == course / "compose"
    assert images_root(deep) == course / "images"
    assert course_of(course / "compose" / "routing") == course
    # A Python package named images/ (labkit's own source) is no course.
    package = tmp_path / "src" / "images"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    assert find_course(package.parent) != package.parent
    monkeypatch.setenv("LABKIT_COURSE", str(tmp_path))
    assert find_course(deep) == tmp_path


def test_an_exercise_loads_by_name_with_its_base_and_project(root: Path) -> None:
    from toolkit.course import load_exercise

    stack = load_exercise("routing", root=root, environ={}, project="Lab A", base="debian:bookworm")
    assert stack.name == "laba"
    assert stack.file == (root / "routing" / "compose.yaml").resolve()
