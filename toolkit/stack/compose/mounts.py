"""A service's `volumes` (short "SOURCE:TARGET[:MODE]" and long form) and `tmpfs`.

A source starting with `/`, `.` or `~` is a bind mount of a host path (one outside the exercise
folder runs only with the user's consent: stack/safety.py); any other source names a top-level
volume; no source makes an anonymous volume. The n-th item of `volumes` becomes the n-th mount,
so later checks can point at it.
"""

from __future__ import annotations

import posixpath

from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    boolean,
    checked,
    items,
    nonempty_string,
    string,
    string_or_list,
)
from toolkit.stack.compose.keys import BIND_OPTIONS, MOUNT
from toolkit.stack.compose.paths import exists, host_path
from toolkit.stack.compose.yaml_source import MapNode
from toolkit.stack.model import VolumeMount

_MODES = {"ro": True, "rw": False}
_REFUSED_MODES = {"z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private",
                  "rprivate", "cached", "delegated", "consistent"}  # fmt: skip


def read_volumes(at: At) -> tuple[VolumeMount, ...]:
    """Read `volumes`: one mount per item."""
    return tuple(
        _long(item) if isinstance(item.node, MapNode) else _short(item, string(item)) for item in items(at)
    )


def read_tmpfs(at: At) -> tuple[str, ...]:
    """Read `tmpfs`: container paths, each optionally followed by ":options"."""
    paths = string_or_list(at)
    for path in paths:
        if not path.startswith("/"):
            at.fail(f"a tmpfs path must be absolute, found {path!r}")
    return paths


def _short(at: At, spec: str) -> VolumeMount:
    parts = spec.split(":")
    if len(parts) > 3:
        at.fail(f"invalid volume spec {spec!r}: expected SOURCE:TARGET[:MODE]")
    if any(not part for part in parts):
        at.fail(f"invalid volume spec {spec!r}: empty section between colons")
    if len(parts) == 1:
        return VolumeMount("volume", _target(at, parts[0]))
    source, target = parts[0], _target(at, parts[1])
    read_only = False
    for option in parts[2].split(",") if len(parts) == 3 else ():
        if option in _MODES:
            read_only = _MODES[option]
        elif option in _REFUSED_MODES:
            at.fail(f"volume option {option!r} in {spec!r}: {UNSUPPORTED} it")
        else:
            at.fail(f"unknown volume option {option!r} in {spec!r}: expected ro or rw")
    if source.startswith(("/", ".", "~")):
        return VolumeMount("bind", target, _bind_source(at, source), read_only)
    return VolumeMount("volume", target, source, read_only)


def _long(at: At) -> VolumeMount:
    fields = checked(at, MOUNT)
    if "type" not in fields:
        at.fail("a volume in long form needs a 'type' (bind, volume or tmpfs)")
    kind = string(fields["type"])
    if "target" not in fields:
        at.fail("a volume needs a 'target'")
    target = _target(fields["target"], string(fields["target"]))
    read_only = boolean(fields["read_only"]) if "read_only" in fields else False
    if "bind" in fields:
        if kind != "bind":
            fields["bind"].fail(f"bind options on a volume of type {kind!r}")
        options = checked(fields["bind"], BIND_OPTIONS)
        if "create_host_path" in options:
            boolean(options["create_host_path"])
    if kind == "bind":
        if "source" not in fields:
            at.fail("a bind mount needs a 'source'")
        source = _bind_source(fields["source"], nonempty_string(fields["source"]))
        return VolumeMount("bind", target, source, read_only)
    if kind == "volume":
        source = nonempty_string(fields["source"]) if "source" in fields else ""
        return VolumeMount("volume", target, source, read_only)
    if kind == "tmpfs":
        if "source" in fields:
            fields["source"].fail("a tmpfs mount takes no 'source'")
        return VolumeMount("tmpfs", target, "", read_only)
    if kind in ("npipe", "cluster", "image"):
        fields["type"].fail(f"volume type {kind!r}: {UNSUPPORTED} it")
    fields["type"].fail(f"unknown volume type {kind!r}: expected bind, volume or tmpfs")


def _bind_source(at: At, written: str) -> str:
    path = host_path(at, written, "bind mount source")
    exists(at, path, "bind mount source", written)
    return str(path)


def _target(at: At, written: str) -> str:
    if not written.startswith("/"):
        at.fail(f"the mount target {written!r} must be an absolute path in the container")
    return posixpath.normpath(written)
