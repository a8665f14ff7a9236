"""Host paths written in a Compose file: resolved from its folder, most kept inside it.

An exercise is a folder: build contexts, env files, secrets and configs must stay in it, so that
loading an exercise cannot read the rest of the host. Symlinks are followed before the check.
Bind mount sources may leave it, as in Compose: whether such a mount may run is the safety
policy's decision at `up` (stack/safety.py, `--allow-host-paths`), not the loader's.
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.stack.compose.fields import UNSUPPORTED, At


def inside_folder(at: At, written: str, what: str, *, base: Path | None = None) -> Path:
    """Return the absolute path `written` names, refusing one that leaves the exercise folder.

    A relative path is read from `base` (default: the Compose file's folder). `what` names the
    path in messages ("bind mount source", "build context", ...). The path returned is
    normalised but not resolved, as Compose writes it.
    """
    path = host_path(at, written, what, base=base)
    try:
        real = path.resolve()
        folder = at.ctx.folder.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a path too long
        at.fail(f"{what} {written!r} cannot be resolved: {exc}")
    if not real.is_relative_to(folder):
        at.fail(f"{what} {written!r} leaves the exercise folder: {UNSUPPORTED} host paths outside it")
    return path


def host_path(at: At, written: str, what: str, *, base: Path | None = None) -> Path:
    """Return the absolute, normalised path `written` names (relative to `base`, default the
    Compose file's folder; `~` is the home folder), wherever it is."""
    if not written.strip():
        at.fail(f"{what} must not be empty")
    if "\0" in written:
        at.fail(f"{what} {written!r} holds a NUL character")
    expanded = _expand_home(at, written)
    return Path(os.path.normpath((base or at.ctx.folder) / expanded))


def exists(at: At, path: Path, what: str, written: str, *, folder: bool = False) -> None:
    """Refuse a path that does not exist (or is not a folder), unless paths are not checked."""
    if not at.ctx.check_paths:
        return
    if folder and not is_dir(at, path, what, written):
        problem = "is not a folder" if exists_at(at, path, what, written) else "does not exist"
        at.fail(f"{what} {written!r} {problem}")
    if not exists_at(at, path, what, written):
        at.fail(f"{what} {written!r} does not exist")


def exists_at(at: At, path: Path, what: str, written: str) -> bool:
    """Whether `path` exists; a path the system cannot even look at is refused."""
    try:
        return path.exists()
    except OSError as exc:
        at.fail(f"{what} {written!r} cannot be read: {exc.strerror or exc}")


def is_dir(at: At, path: Path, what: str, written: str) -> bool:
    """Whether `path` is a folder; a path the system cannot look at is refused."""
    try:
        return path.is_dir()
    except OSError as exc:
        at.fail(f"{what} {written!r} cannot be read: {exc.strerror or exc}")


def is_file(at: At, path: Path, what: str, written: str) -> bool:
    """Whether `path` is a file; a path the system cannot look at is refused."""
    try:
        return path.is_file()
    except OSError as exc:
        at.fail(f"{what} {written!r} cannot be read: {exc.strerror or exc}")


def _expand_home(at: At, written: str) -> str:
    if written != "~" and not written.startswith("~/"):
        return written
    home = at.ctx.environ.get("HOME") or os.path.expanduser("~")
    return home + written[1:]
