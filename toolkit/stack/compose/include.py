"""The top-level `include`: other Compose files whose services, networks and volumes join.

    include:
      - common/compose.yaml                 # a path, relative to this file's folder
      - path: db/compose.yaml
        project_directory: db               # default: the included file's folder
        env_file: db/.env                   # default: .env in that project directory

Each included file is loaded on its own, as Compose loads it: its relative paths are read
from its project directory, its variables are this file's with its own env file under them,
and it must be valid by itself (its `name` and `x-labkit` are not used). Its services,
networks, volumes, secrets and configs then join this file's; a service declared on both
sides is refused, as is a network or volume declared differently on both sides.

Included files must stay inside the exercise folder like any other path; remote includes
(oci://, git) and several files merged into one entry are refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from toolkit.stack.compose.dotenv import read_env_file
from toolkit.stack.compose.fields import UNSUPPORTED, At, checked, items, nonempty_string
from toolkit.stack.compose.keys import INCLUDE
from toolkit.stack.compose.paths import inside_folder, is_dir, is_file
from toolkit.stack.compose.yaml_source import MapNode, Scalar, SeqNode
from toolkit.stack.model import Stack

# Loads one included file: (file, its variables, its project directory) -> its stack.
LoadIncluded = Callable[[Path, dict[str, str], Path], Stack]


def read_includes(at: At, load: LoadIncluded) -> list[tuple[At, Stack]]:
    """Load every file `include` names, each with the entry that names it."""
    return [(item, _include(item, load)) for item in items(at)]


def _include(item: At, load: LoadIncluded) -> Stack:
    fields: dict[str, At] = {}
    if isinstance(item.node, MapNode):
        fields = checked(item, INCLUDE)
        if "path" not in fields:
            item.fail("an include entry needs a 'path'")
        path_at = fields["path"]
        if isinstance(path_at.node, SeqNode):
            paths = items(path_at)
            if len(paths) != 1:
                path_at.fail(
                    f"an include of several files merged into one: {UNSUPPORTED} it; include each file"
                )
            path_at = paths[0]
    else:
        path_at = item
    written = nonempty_string(path_at)
    if "://" in written or written.startswith("git@"):
        path_at.fail(f"include {written!r} is remote: {UNSUPPORTED} remote includes")
    file = inside_folder(path_at, written, "included file")
    if not is_file(path_at, file, "included file", written):
        path_at.fail(f"included file {written!r} does not exist")
    folder = file.parent
    if "project_directory" in fields:
        directory_at = fields["project_directory"]
        shown = nonempty_string(directory_at)
        folder = inside_folder(directory_at, shown, "project_directory")
        if not is_dir(directory_at, folder, "project_directory", shown):
            directory_at.fail(f"project_directory {shown!r} is not a folder")
    variables = dict(item.ctx.environ)
    from_files: dict[str, str] = {}
    for env_path in _env_files(fields.get("env_file"), folder):
        from_files.update(read_env_file(env_path, str(env_path), variables.get))
    # The including file's variables win over the included file's env files, as in Compose.
    variables = {**from_files, **variables}
    return load(file, variables, folder)


def _env_files(at: At | None, folder: Path) -> list[Path]:
    """The env files of an include: those named, else `.env` in its project directory."""
    if at is None:
        default = folder / ".env"
        return [default] if default.is_file() else []
    entries = [at] if isinstance(at.node, Scalar) else items(at)
    found: list[Path] = []
    for entry in entries:
        written = nonempty_string(entry)
        path = inside_folder(entry, written, "env_file")
        if not is_file(entry, path, "env_file", written):
            entry.fail(f"env_file {written!r} does not exist")
        found.append(path)
    return found


def join_included(
    own: Mapping[str, Mapping[str, Any]], included: list[tuple[At, Stack]]
) -> dict[str, dict[str, Any]]:
    """This file's services, networks, volumes, secrets and configs with the included files'.

    `own` maps each kind ("services", ...) to this file's own of that kind. Raises ConfigError
    at the include entry whose file declares a service this file (or an earlier include)
    declares too, or a network, volume, secret or config declared otherwise.
    """
    joined: dict[str, dict[str, Any]] = {kind: {} for kind in own}
    brought: dict[tuple[str, str], tuple[At, Path]] = {}  # (kind, name) -> the entry, its file
    for item, stack in included:
        theirs: dict[str, Mapping[str, Any]] = {
            "services": stack.services,
            "networks": stack.networks,
            "volumes": stack.volumes,
            "secrets": stack.secrets,
            "configs": stack.configs,
        }
        for kind, values in theirs.items():
            for name, value in values.items():
                _add(joined, kind, name, value, item, stack.file)
                brought[(kind, name)] = (item, stack.file)
    for kind, values in own.items():  # included files come first, as Compose loads them
        for name, value in values.items():
            if (kind, name) in brought:
                _add(joined, kind, name, value, *brought[(kind, name)])
            joined[kind][name] = value
    return joined


def _add(joined: dict[str, dict[str, Any]], kind: str, name: str, value: Any, item: At, source: Path) -> None:
    present = joined[kind].get(name)
    if present is not None and (kind == "services" or present != value):
        item.fail(
            f"{kind}.{name} is declared both here and in the included {source.name}: rename one of them"
        )
    joined[kind][name] = value
