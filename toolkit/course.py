"""Where the course is, and how an exercise is found and loaded: the one home of both.

A course is a folder holding `compose/` (one folder per exercise, each with a Compose file)
and `images/` (one folder per course image). The CLI, the image catalog, the stack's image
making and the pytest plugin all find it with `find_course` and load exercises with
`load_exercise`, so `labkit up routing` and `lab_stack("routing")` mean the same file.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import UsageError

if TYPE_CHECKING:
    from toolkit.stack.model import Stack
    from toolkit.stack.variants import Variant

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
COURSE_FOLDERS = ("compose", "images")
# The course shipped beside labkit's source (an editable install, or a checkout).
INSTALLED_COURSE = Path(__file__).resolve().parents[1]


def find_course(start: Path | None = None) -> Path:
    """Return the course folder: $LABKIT_COURSE, else the nearest folder at or above `start`
    (default: the working directory) holding compose/ or images/, else the course installed
    with labkit.

    A compose/ or images/ that is a Python package (labkit's own source) is no course's.
    """
    configured = os.environ.get("LABKIT_COURSE")
    if configured:
        return Path(configured).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any(_course_folder(folder / name) for name in COURSE_FOLDERS):
            return folder
    return INSTALLED_COURSE


def _course_folder(folder: Path) -> bool:
    return folder.is_dir() and not (folder / "__init__.py").exists()


def compose_root(start: Path | None = None) -> Path:
    """The folder of the course's exercises (see find_course)."""
    return find_course(start) / "compose"


def images_root(start: Path | None = None) -> Path:
    """The folder of the course's images (see find_course)."""
    return find_course(start) / "images"


def course_of(exercise_folder: Path) -> Path | None:
    """The course an exercise folder belongs to (`<course>/compose/<exercise>/`), if it is in
    one that has images/; None for an exercise outside a course."""
    course = exercise_folder.resolve().parent.parent
    return course if _course_folder(course / "images") else None


def names_a_path(target: str | Path) -> bool:
    """Whether `target` is a path (to a Compose file or its folder) rather than an exercise name."""
    return isinstance(target, Path) or "/" in target or target.endswith((".yaml", ".yml"))


def load_exercise(
    target: str | Path,
    *,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
    project: str | None = None,
    base: str | None = None,
    student: str | None = None,
    secret: bytes | None = None,
) -> Stack:
    """Find and load an exercise (see load_exercise_variant, which also returns the values)."""
    return load_exercise_variant(
        target, root=root, environ=environ, project=project, base=base, student=student, secret=secret
    )[0]


def load_exercise_variant(
    target: str | Path,
    *,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
    project: str | None = None,
    base: str | None = None,
    student: str | None = None,
    secret: bytes | None = None,
) -> tuple[Stack, Variant | None]:
    """Find and load an exercise, with the student's values when a student is named.

    The exercise is a folder name under `root` (default: the course's compose/), or a path to
    a Compose file or its folder.

    Variables come from `environ` (default: the process environment); `base` (a base alias)
    sets LABKIT_BASE for interpolation; `project` names the project (see naming.project_name).
    With `student` and the course `secret`, the exercise's parameters take that student's
    values (stack/variants.py); without, their defaults in the file, whatever `environ` says.

    Raises UsageError when nothing matches (naming the exercises there), UsageError for an
    unknown base or a project name that leaves nothing, ConfigError for a bad Compose file.
    """
    # Imported here, not at the top: images/ asks this module only where the course is, and
    # must not pay for the loader's YAML machinery (or depend on stack/) to do so.
    from toolkit.stack.variants import load_variant

    variables = dict(os.environ if environ is None else environ)
    if base:
        from toolkit.images.families import get_base

        variables["LABKIT_BASE"] = get_base(base).tag
    path = find_compose_file(str(target), compose_root() if root is None else root)
    return load_variant(path, student, secret, environ=variables, project=project)


def find_compose_file(exercise: str, root: Path) -> Path:
    """Return the Compose file `exercise` names.

    `exercise` is a folder name under `root`, a path to a folder holding a Compose file
    (compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, in that order of
    preference, as Compose picks them), or a path to a Compose file.

    Raises UsageError naming the available exercises when nothing matches.
    """
    if not exercise.strip():
        raise UsageError("no exercise given: " + _available(root))
    given = Path(exercise)
    if given.is_file():
        return given
    if given.is_dir():
        return _file_in(given)
    under_root = root / exercise
    if "/" not in exercise and under_root.is_dir():
        return _file_in(under_root)
    if "/" in exercise or exercise.endswith((".yaml", ".yml")):
        raise UsageError(f"no such file or folder: {exercise}")
    close = difflib.get_close_matches(exercise, exercise_names(root), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown exercise {exercise!r}{hint}; " + _available(root))


def exercise_names(root: Path) -> list[str]:
    """The exercises under `root`: its folders that hold a Compose file, sorted."""
    try:
        folders = sorted(entry for entry in root.iterdir() if entry.is_dir())
    except OSError:
        return []
    return [
        folder.name for folder in folders if any((folder / name).is_file() for name in COMPOSE_FILE_NAMES)
    ]


def _file_in(folder: Path) -> Path:
    for name in COMPOSE_FILE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise UsageError(f"no Compose file in {folder}: expected one of {', '.join(COMPOSE_FILE_NAMES)}")


def _available(root: Path) -> str:
    names = exercise_names(root)
    if not names:
        return f"no exercises found under {root}"
    return "available exercises: " + ", ".join(names)
