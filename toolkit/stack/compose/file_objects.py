"""Secrets and configs read from files: the top-level `secrets`/`configs` and a service's use.

A single-host engine has no secret store: Compose v2 bind-mounts the file of a file-based
secret or config into the container, read-only, at `/run/secrets/NAME` (a secret) or `/NAME`
(a config) unless the service names a target. labkit does the same. The file must stay inside
the exercise folder like any bind source; `environment`, `content` and `external` objects, and
uid, gid and mode (which Compose ignores for bind-mounted files), are refused by name.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Literal

from toolkit.stack.compose.fields import At, LoadContext, checked, entries, items, nonempty_string, string
from toolkit.stack.compose.keys import FILE_OBJECT, FILE_REFERENCE
from toolkit.stack.compose.paths import exists, inside_folder
from toolkit.stack.compose.yaml_source import MapNode
from toolkit.stack.model import FileMount, Service

Kind = Literal["secrets", "configs"]
_NOUN = {"secrets": "secret", "configs": "config"}


def read_file_objects(at: At, kind: Kind) -> dict[str, Path]:
    """Read the top-level `secrets` or `configs`: name -> the file's absolute path."""
    found: dict[str, Path] = {}
    for name, value in entries(at).items():
        fields = checked(value, FILE_OBJECT)
        if "file" not in fields:
            value.fail(f"{_NOUN[kind]} {name!r} names no 'file' (labkit reads {kind} from files only)")
        written = nonempty_string(fields["file"])
        path = inside_folder(fields["file"], written, f"{_NOUN[kind]} file")
        exists(fields["file"], path, f"{_NOUN[kind]} file", written)
        found[name] = path
    return found


def read_references(at: At, kind: Kind) -> tuple[FileMount, ...]:
    """Read a service's `secrets` or `configs`: names, or mappings of source and target."""
    mounts: list[FileMount] = []
    for item in items(at):
        if isinstance(item.node, MapNode):
            fields = checked(item, FILE_REFERENCE)
            if "source" not in fields:
                item.fail(f"a service's {_NOUN[kind]} needs a 'source'")
            source = nonempty_string(fields["source"])
            target = string(fields["target"]) if "target" in fields else None
        else:
            source, target = nonempty_string(item), None
        mounts.append(FileMount(source, default_target(kind, source, target)))
    return tuple(mounts)


def default_target(kind: Kind, source: str, target: str | None) -> str:
    """Where Compose mounts it: a secret under /run/secrets, a config at / unless absolute."""
    if kind == "secrets":
        return posixpath.join("/run/secrets", target or source)
    return posixpath.join("/", target or source)


def check_references(
    services: dict[str, Service], declared: dict[Kind, dict[str, Path]], ctx: LoadContext
) -> None:
    """Refuse a service's secret or config that the top level does not declare."""
    kinds: tuple[Kind, ...] = ("secrets", "configs")
    for service in services.values():
        for kind in kinds:
            for mount in getattr(service, kind):
                if mount.source not in declared[kind]:
                    raise ctx.error(
                        f"service {service.name!r} uses {_NOUN[kind]} {mount.source!r}, which the "
                        f"top-level '{kind}' does not declare",
                        f"services.{service.name}.{kind}",
                    )
