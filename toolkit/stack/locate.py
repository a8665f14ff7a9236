"""Find the Compose file of an exercise from what the user typed."""

from __future__ import annotations

import difflib
from pathlib import Path

from toolkit.errors import UsageError

COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def find_compose_file(exercise: str, compose_root: Path) -> Path:
    """Return the Compose file `exercise` names.

    `exercise` is a folder name under `compose_root`, a path to a folder holding a Compose file
    (compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml, in that order of
    preference, as Compose picks them), or a path to a Compose file.

    Raises UsageError naming the available exercises when nothing matches.
    """
    if not exercise.strip():
        raise UsageError("no exercise given: " + _available(compose_root))
    given = Path(exercise)
    if given.is_file():
        return given
    if given.is_dir():
        return _file_in(given)
    under_root = compose_root / exercise
    if "/" not in exercise and under_root.is_dir():
        return _file_in(under_root)
    if "/" in exercise or exercise.endswith((".yaml", ".yml")):
        raise UsageError(f"no such file or folder: {exercise}")
    names = _exercises(compose_root)
    close = difflib.get_close_matches(exercise, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown exercise {exercise!r}{hint}; " + _available(compose_root))


def _file_in(folder: Path) -> Path:
    for name in COMPOSE_FILE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise UsageError(f"no Compose file in {folder}: expected one of {', '.join(COMPOSE_FILE_NAMES)}")


def _exercises(compose_root: Path) -> list[str]:
    try:
        folders = sorted(entry for entry in compose_root.iterdir() if entry.is_dir())
    except OSError:
        return []
    return [
        folder.name for folder in folders if any((folder / name).is_file() for name in COMPOSE_FILE_NAMES)
    ]


def _available(compose_root: Path) -> str:
    names = _exercises(compose_root)
    if not names:
        return f"no exercises found under {compose_root}"
    return "available exercises: " + ", ".join(names)
