"""Compose's merge rules for two service mappings, on the YAML tree: what `extends` applies.

The rules of the Compose specification ("Merge and override"):

- mappings merge key by key, the overriding side winning on a conflict, recursively;
- sequences append, keeping each item once;
- `command`, `entrypoint` and `healthcheck.test` are replaced, never appended;
- `volumes`, `secrets` and `configs` hold one item per target: an overriding item replaces
  the base's item of the same target;
- short forms are widened before merging, so that both sides have one shape: `build: DIR`
  is `{context: DIR}`; `environment`, `labels`, `sysctls`, `annotations`, `build.args` and
  `build.labels` written as "KEY=value" lists are mappings; `depends_on` and `networks`
  written as lists of names are mappings; a single string where a list is allowed (`dns`,
  `env_file`, ...) is a one-item list.

The result is a new tree of the same nodes, so readers report lines as usual.
"""

from __future__ import annotations

from collections.abc import Hashable

from toolkit.stack.compose.yaml_source import Entry, MapNode, Node, Scalar, SeqNode

_REPLACED = frozenset({"command", "entrypoint", "test"})
_KEY_VALUE = frozenset({"environment", "labels", "sysctls", "annotations", "args"})
_NAMES = frozenset({"depends_on", "networks"})
_ONE_OR_MORE = frozenset({"dns", "dns_search", "env_file", "tmpfs"})
_BY_TARGET = frozenset({"volumes", "secrets", "configs"})

Plain = Hashable  # a node's value without its lines: scalars and tuples


def merge_service(base: MapNode, override: MapNode) -> MapNode:
    """`override` merged over `base`, as `extends` merges a service over the one it extends."""
    return _merge_mapping(base, override, "")


def _merge_mapping(base: MapNode, override: MapNode, parent: str) -> MapNode:
    merged = {entry.key: entry for entry in base.entries}
    for entry in override.entries:
        below = merged.get(entry.key)
        if below is None:
            merged[entry.key] = entry
        else:
            value = _merge_value(entry.key, below.value, entry.value, parent)
            merged[entry.key] = Entry(entry.key, entry.line, value)
    return MapNode(tuple(merged.values()), override.line)


def _merge_value(key: str, base: Node, override: Node, parent: str) -> Node:
    if key in _REPLACED:
        return override
    base, override = _widen(key, base, parent), _widen(key, override, parent)
    if isinstance(base, MapNode) and isinstance(override, MapNode):
        return _merge_mapping(base, override, key)
    if isinstance(base, SeqNode) and isinstance(override, SeqNode):
        if key in _BY_TARGET and parent == "":
            return _merge_by_target(base, override)
        return _append(base, override)
    return override  # a scalar, or two shapes that cannot merge: the overriding side wins


def _widen(key: str, node: Node, parent: str) -> Node:
    """The long form of a short one, for the keys whose two forms merge alike."""
    if key == "build" and parent == "" and _is_text(node):
        return MapNode((Entry("context", node.line, node),), node.line)
    if isinstance(node, SeqNode) and key in _KEY_VALUE and parent in ("", "build"):
        entries: dict[str, Entry] = {}
        for item in node.items:
            if not (isinstance(item, Scalar) and isinstance(item.value, str)):
                return node  # not a KEY=value list: the reader will say so
            name, separator, value = item.value.partition("=")
            entries[name] = Entry(name, item.line, Scalar(value if separator else None, item.line))
        return MapNode(tuple(entries.values()), node.line)
    if isinstance(node, SeqNode) and key in _NAMES and parent == "":
        if not all(_is_text(item) for item in node.items):
            return node
        return MapNode(tuple(_named(key, item) for item in node.items), node.line)
    if key in _ONE_OR_MORE and parent == "" and _is_text(node):
        return SeqNode((node,), node.line)
    return node


def _named(key: str, item: Node) -> Entry:
    assert isinstance(item, Scalar) and isinstance(item.value, str)
    if key == "networks":
        return Entry(item.value, item.line, Scalar(None, item.line))
    condition = Entry("condition", item.line, Scalar("service_started", item.line))
    return Entry(item.value, item.line, MapNode((condition,), item.line))


def _append(base: SeqNode, override: SeqNode) -> SeqNode:
    seen = {plain(item) for item in base.items}
    added = []
    for item in override.items:
        if plain(item) not in seen:
            seen.add(plain(item))
            added.append(item)
    return SeqNode((*base.items, *added), override.line)


def _merge_by_target(base: SeqNode, override: SeqNode) -> SeqNode:
    replaced = {_target(item): item for item in override.items}
    kept = [replaced.pop(_target(item), item) for item in base.items]
    return SeqNode((*kept, *(item for item in override.items if _target(item) in replaced)), override.line)


def _target(item: Node) -> Plain:
    """Where a volume, secret or config lands: its target (a secret's default: its source)."""
    if isinstance(item, Scalar) and isinstance(item.value, str):
        parts = item.value.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    if isinstance(item, MapNode):
        fields = {entry.key: entry.value for entry in item.entries}
        chosen = fields.get("target") or fields.get("source")
        if isinstance(chosen, Scalar):
            return chosen.value
    return plain(item)


def plain(node: Node) -> Plain:
    """A node's value without its lines, to compare two nodes."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, SeqNode):
        return tuple(plain(item) for item in node.items)
    return tuple((entry.key, plain(entry.value)) for entry in node.entries)


def _is_text(node: Node) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, str)
