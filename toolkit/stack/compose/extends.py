"""`extends`: a service built on another one, of the same file or of another file.

Resolved on the interpolated YAML tree, before any service is read: each service that extends
another becomes the other's mapping with its own merged over it (merge.py), so every reader
sees one plain service. A base may extend a third service in turn; a loop is refused.

    extends: web                          # a service of the same file
    extends: {service: web}               # the same
    extends: {file: common.yaml, service: web}

A base from another file is read with the same variables as the main file (Compose does the
same). Its relative paths (build context, bind sources, env files) are relative to its own
folder: they are made absolute before the merge, and must stay inside the exercise folder like
any other path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from toolkit.errors import ConfigError
from toolkit.stack.compose.fields import UNSUPPORTED
from toolkit.stack.compose.interpolate import TreeInterpolationError, interpolate_tree
from toolkit.stack.compose.merge import merge_service
from toolkit.stack.compose.yaml_source import Entry, MapNode, Node, Scalar, SeqNode, describe, load_yaml

_EXTENDS_KEYS = ("service", "file")


@dataclass
class _File:
    """One file's services, as written, and those resolved so far."""

    path: Path
    display: str
    services: dict[str, Entry]
    resolved: dict[str, Node] = field(default_factory=dict)


@dataclass
class _Resolver:
    folder: Path  # the exercise folder: every file extended must be inside it
    variables: Mapping[str, str]
    files: dict[Path, _File] = field(default_factory=dict)

    def resolve(self, file: _File, name: str, trail: tuple[tuple[Path, str], ...]) -> Node:
        if name in file.resolved:
            return file.resolved[name]
        entry = file.services[name]
        service = entry.value
        extends = _find(service, "extends")
        if extends is None:
            return service
        assert isinstance(service, MapNode)
        path = f"services.{name}.extends"
        if (file.path, name) in trail:
            loop = " -> ".join(step for _, step in (*trail, (file.path, name)))
            _fail(file, extends.line, path, f"extends makes a loop: {loop}; remove one of these extends")
        base_file, base_name = self._target(file, name, extends)
        base = self.resolve(base_file, base_name, (*trail, (file.path, name)))
        if not isinstance(base, MapNode):
            _fail(
                base_file, base.line, f"services.{base_name}", f"expected a mapping, found {describe(base)}"
            )
        if base_file.path != file.path:
            # This file's lines mean nothing in the other's: what comes from there is reported
            # at the `extends` that brings it in.
            base = _relined(_absolute_paths(base, base_file.path.parent), extends.line)
        own = MapNode(tuple(e for e in service.entries if e.key != "extends"), service.line)
        merged = merge_service(base, own)
        file.resolved[name] = merged
        return merged

    def _target(self, file: _File, name: str, extends: Entry) -> tuple[_File, str]:
        """The file and service an `extends` names."""
        path = f"services.{name}.extends"
        value = extends.value
        other: str | None = None
        if isinstance(value, Scalar) and isinstance(value.value, str) and value.value:
            target = value.value
        elif isinstance(value, MapNode):
            fields = {e.key: e for e in value.entries if not e.key.startswith("x-")}
            for key, entry in fields.items():
                if key not in _EXTENDS_KEYS:
                    _fail(
                        file,
                        entry.line,
                        f"{path}.{key}",
                        f"unknown key {key!r} in extends; expected service, file",
                    )
            if "service" not in fields:
                _fail(file, extends.line, path, "extends needs the 'service' to extend")
            target = _text(file, fields["service"], f"{path}.service")
            if "file" in fields:
                other = _text(file, fields["file"], f"{path}.file")
        else:
            _fail(file, extends.line, path, f"expected a service name or a mapping, found {describe(value)}")
        base_file = file if other is None else self._open(file, other, extends.line, f"{path}.file")
        if target not in base_file.services:
            where = "this file" if other is None else base_file.display
            known = ", ".join(base_file.services) or "none"
            _fail(
                file,
                extends.line,
                path,
                f"extends names service {target!r}, which {where} does not declare (services: {known})",
            )
        return base_file, target

    def _open(self, file: _File, written: str, line: int, path: str) -> _File:
        """Read another file's services (once), interpolated with the main file's variables."""
        if "://" in written:
            _fail(file, line, path, f"extends file {written!r} is remote: {UNSUPPORTED} remote files")
        other = Path(os.path.normpath(file.path.parent / written))
        if not other.resolve().is_relative_to(self.folder.resolve()):
            _fail(
                file,
                line,
                path,
                f"extends file {written!r} leaves the exercise folder: {UNSUPPORTED} files outside it",
            )
        if other in self.files:
            return self.files[other]
        display = str(other)
        if not other.is_file():
            _fail(file, line, path, f"extends file {written!r} does not exist")
        try:
            root = interpolate_tree(load_yaml(other, display), self.variables.get)
        except TreeInterpolationError as exc:
            raise ConfigError(exc.reason, file=display, line=exc.line, key_path=exc.path) from None
        assert isinstance(root, MapNode)
        opened = _File(other, display, _services(root))
        self.files[other] = opened
        return opened


def resolve_extends(root: MapNode, file: Path, display: str, variables: Mapping[str, str]) -> MapNode:
    """`root` with every service that extends another merged over its base.

    Raises ConfigError (file, line, key path) for an extends that names nothing, a loop, or a
    file outside the exercise folder.
    """
    services_entry = _find(root, "services")
    if services_entry is None or not isinstance(services_entry.value, MapNode):
        return root  # nothing to extend; the readers say what is wrong with it
    services = _services(root)
    if not any(_find(entry.value, "extends") for entry in services.values()):
        return root
    main = _File(file, display, services)
    resolver = _Resolver(file.parent, variables, {file: main})
    resolved = tuple(
        Entry(e.key, e.line, resolver.resolve(main, e.key, ())) for e in services_entry.value.entries
    )
    new_services = Entry("services", services_entry.line, MapNode(resolved, services_entry.value.line))
    return MapNode(tuple(new_services if e.key == "services" else e for e in root.entries), root.line)


def _relined(node: Node, line: int) -> MapNode:
    """`node` (a mapping) with every line set to `line`."""
    relined = _at_line(node, line)
    assert isinstance(relined, MapNode)
    return relined


def _at_line(node: Node, line: int) -> Node:
    if isinstance(node, Scalar):
        return Scalar(node.value, line)
    if isinstance(node, SeqNode):
        return SeqNode(tuple(_at_line(item, line) for item in node.items), line)
    return MapNode(tuple(Entry(e.key, line, _at_line(e.value, line)) for e in node.entries), line)


def _services(root: MapNode) -> dict[str, Entry]:
    entry = _find(root, "services")
    if entry is None or not isinstance(entry.value, MapNode):
        return {}
    return {service.key: service for service in entry.value.entries}


def _find(node: Node, key: str) -> Entry | None:
    if not isinstance(node, MapNode):
        return None
    return next((entry for entry in node.entries if entry.key == key), None)


def _text(file: _File, entry: Entry, path: str) -> str:
    if not isinstance(entry.value, Scalar) or not isinstance(entry.value.value, str) or not entry.value.value:
        _fail(file, entry.line, path, f"expected a string, found {describe(entry.value)}")
    return entry.value.value


def _fail(file: _File, line: int, path: str, message: str) -> NoReturn:
    raise ConfigError(message, file=file.display, line=line, key_path=path)


# ---------------------------------------------------------------- paths of a base from another file

_Rewrite = Callable[[Node], Node]


def _absolute_paths(service: MapNode, folder: Path) -> MapNode:
    """The base service with its relative host paths read from `folder`, its own file's."""

    def absolute(node: Node) -> Node:
        if isinstance(node, Scalar) and isinstance(node.value, str) and _relative(node.value):
            return Scalar(os.path.normpath(folder / node.value), node.line)
        return node

    def volume(node: Node) -> Node:
        if isinstance(node, Scalar) and isinstance(node.value, str):
            source, separator, rest = node.value.partition(":")
            if separator and source.startswith("."):  # a path; a bare word names a volume
                return Scalar(f"{os.path.normpath(folder / source)}:{rest}", node.line)
            return node
        if isinstance(node, MapNode) and any(
            e.key == "type" and isinstance(e.value, Scalar) and e.value.value == "bind" for e in node.entries
        ):
            return _rewrite_keys(node, {"source": absolute})
        return node

    def env_file(node: Node) -> Node:
        return _rewrite_keys(node, {"path": absolute}) if isinstance(node, MapNode) else absolute(node)

    def build(node: Node) -> Node:
        return _rewrite_keys(node, {"context": absolute}) if isinstance(node, MapNode) else absolute(node)

    rewrites: dict[str, _Rewrite] = {
        "build": build,
        "volumes": lambda node: _each(node, volume),
        "env_file": lambda node: _each(node, env_file),
    }
    rewritten = _rewrite_keys(service, rewrites)
    assert isinstance(rewritten, MapNode)
    return rewritten


def _each(node: Node, rewrite: _Rewrite) -> Node:
    if isinstance(node, SeqNode):
        return SeqNode(tuple(rewrite(item) for item in node.items), node.line)
    return rewrite(node)


def _rewrite_keys(node: Node, rewrites: Mapping[str, _Rewrite]) -> Node:
    if not isinstance(node, MapNode):
        return node
    return MapNode(
        tuple(
            Entry(e.key, e.line, rewrites[e.key](e.value)) if e.key in rewrites else e for e in node.entries
        ),
        node.line,
    )


def _relative(text: str) -> bool:
    return bool(text) and not text.startswith(("/", "~")) and "://" not in text
