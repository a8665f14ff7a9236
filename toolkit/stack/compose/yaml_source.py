"""Read a YAML file into a small tree of nodes that remember their line numbers.

PyYAML's composer builds the node graph; no Python objects are ever constructed from tags,
so nothing in the file can run code. On top of that this module:

- refuses files over `MAX_FILE_BYTES` before parsing, bytes that are not UTF-8, empty files,
  several documents, tabs used for indentation, duplicate keys, recursive aliases, nesting
  deeper than `MAX_DEPTH` and alias bombs (the tree, with every alias expanded, may hold at
  most `MAX_NODES` nodes: counted, never built);
- resolves plain scalars the way Compose's YAML library does (scalars.py), not with PyYAML's
  YAML 1.1 rules;
- applies merge keys (`<<: *anchor`), where keys written in the mapping win.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from toolkit.errors import ConfigError
from toolkit.stack.compose.scalars import ScalarValue, resolve_plain, scalar_text

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64

_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # the line breaks PyYAML counts
_PLAIN_TAG = "tag:labkit:plain"  # an untagged, unquoted scalar: resolved by `resolve_plain`
_STR, _INT, _FLOAT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_BOOL, _NULL = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


@dataclass(frozen=True, slots=True)
class Scalar:
    value: ScalarValue
    line: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One key of a mapping: `line` is where the key is written."""

    key: str
    line: int
    value: Node


@dataclass(frozen=True, slots=True)
class MapNode:
    entries: tuple[Entry, ...]
    line: int


@dataclass(frozen=True, slots=True)
class SeqNode:
    items: tuple[Node, ...]
    line: int


Node = Scalar | MapNode | SeqNode


def load_yaml(path: Path, display: str) -> MapNode:
    """Read `path` and return its top-level mapping.

    `display` is how errors name the file. Raises ConfigError for anything that is not a
    single, well-formed YAML mapping within the limits above.
    """
    return _parse(_read_text(path, display), display)


# The tree is immutable, so one parse serves every load of the same text: a class loads one
# exercise once per student (each with their own values), and parsing is most of a load.
@functools.lru_cache(maxsize=16)
def _parse(text: str, display: str) -> MapNode:
    if not text.strip():
        raise ConfigError("the file is empty: expected a Compose mapping", file=display, line=1)
    try:
        loader = _Loader(text)  # reading starts here: a bad character can stop it at once
        try:
            document = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as refused:
        raise ConfigError(refused.message, file=display, line=refused.line) from None
    except yaml.reader.ReaderError as exc:
        line = len(_BREAKS.findall(text, 0, exc.position)) + 1
        code = exc.character if isinstance(exc.character, int) else 0
        raise ConfigError(
            f"invalid YAML: the control character U+{code:04X} is not allowed",
            file=display,
            line=line,
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, display, text) from None
    except yaml.YAMLError as exc:  # no other kind is raised while reading; kept as a net
        raise ConfigError(f"invalid YAML: {exc}", file=display) from None
    if document is None:
        raise ConfigError("the file holds only comments: expected a Compose mapping", file=display, line=1)
    root = _Converter(display).convert(document)
    if not isinstance(root, MapNode):
        found = "a list" if isinstance(root, SeqNode) else describe(root)
        raise ConfigError(
            f"the top level must be a mapping of Compose keys, found {found}",
            file=display,
            line=root.line,
        )
    return root


def describe(node: Node) -> str:
    """Say what a node is, for "expected X, found Y" messages."""
    if isinstance(node, MapNode):
        return "a mapping"
    if isinstance(node, SeqNode):
        return "a list"
    value = node.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {scalar_text(value)}"
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"string {shown!r}"


def _read_text(path: Path, display: str) -> str:
    try:
        if not path.is_file():
            what = "a folder" if path.is_dir() else "no regular file"
            raise ConfigError(f"cannot read the file: it is {what}", file=display)
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=display) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB: labkit refuses to parse it",
            file=display,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}): save it as UTF-8",
            file=display,
            line=line,
        ) from None
    return text.removeprefix("\ufeff")


def _yaml_error(exc: yaml.MarkedYAMLError, display: str, text: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = exc.problem or "malformed YAML"
    lines = _BREAKS.split(text)
    written = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
    if "'\\t'" in problem or "\t" in written[: len(written) - len(written.lstrip())]:
        return ConfigError(
            "a tab character indents this line: YAML indents with spaces only",
            file=display,
            line=line,
        )
    if exc.context == "expected a single document in the stream":
        return ConfigError(
            "the file holds more than one YAML document: a Compose file has one",
            file=display,
            line=line,
        )
    context = exc.context or ""
    if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
        context += f" started at line {exc.context_mark.line + 1}"
    detail = f" ({context})" if context else ""
    return ConfigError(f"invalid YAML: {problem}{detail}", file=display, line=line)


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, used only up to composition, with bounds and labkit's typing."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0
        self._composed = 0

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        self._composed += 1
        if self._depth > MAX_DEPTH or self._composed > MAX_NODES:
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            if self._depth > MAX_DEPTH:
                raise _Refused(f"the YAML nests deeper than {MAX_DEPTH} levels", line)
            raise _Refused(f"the YAML holds more than {MAX_NODES} nodes", line)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Converter:
    """Turn PyYAML nodes into labkit's nodes, sharing what aliases share.

    Each converted node carries the size of its tree with aliases expanded, so an alias bomb
    is refused after a linear amount of work and memory.
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.done: dict[int, tuple[Node, int]] = {}
        self.active: set[int] = set()

    def convert(self, node: yaml.Node) -> Node:
        return self._convert(node)[0]

    def _fail(self, message: str, node: yaml.Node) -> NoReturn:
        raise ConfigError(message, file=self.display, line=node.start_mark.line + 1)

    def _convert(self, node: yaml.Node) -> tuple[Node, int]:
        key = id(node)
        if key in self.done:
            return self.done[key]
        if key in self.active:
            self._fail("an alias refers to the node that contains it (a recursive alias)", node)
        self.active.add(key)
        if isinstance(node, ScalarNode):
            result: tuple[Node, int] = (self._scalar(node), 1)
        elif isinstance(node, SequenceNode):
            result = self._sequence(node)
        elif isinstance(node, MappingNode):
            result = self._mapping(node)
        else:  # pragma: no cover - PyYAML has only these three
            self._fail("unexpected YAML node", node)
        self.active.discard(key)
        if result[1] > MAX_NODES:
            self._fail(
                f"the YAML expands to more than {MAX_NODES} nodes through aliases "
                "(an alias bomb?): labkit refuses it",
                node,
            )
        self.done[key] = result
        return result

    def _scalar(self, node: ScalarNode) -> Scalar:
        line = node.start_mark.line + 1
        text = str(node.value)
        tag = node.tag
        if tag == _PLAIN_TAG:
            return Scalar(resolve_plain(text), line)
        if tag == _STR:
            return Scalar(text, line)
        if tag in (_INT, _FLOAT, _BOOL, _NULL):
            value = resolve_plain(text)
            if tag == _FLOAT and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if _TAG_OF.get(type(value)) != tag:
                self._fail(f"the value {text!r} does not match its tag {_short_tag(tag)}", node)
            return Scalar(value, line)
        self._fail(f"unsupported YAML tag {_short_tag(tag)}: labkit does not support it", node)

    def _sequence(self, node: SequenceNode) -> tuple[Node, int]:
        if node.tag != _SEQ:
            self._fail(f"unsupported YAML tag {_short_tag(node.tag)}: labkit does not support it", node)
        items: list[Node] = []
        size = 1
        for child in node.value:
            converted, child_size = self._convert(child)
            items.append(converted)
            size += child_size
            if size > MAX_NODES:
                break  # the caller refuses it
        return SeqNode(tuple(items), node.start_mark.line + 1), size

    def _mapping(self, node: MappingNode) -> tuple[Node, int]:
        if node.tag != _MAP:
            self._fail(f"unsupported YAML tag {_short_tag(node.tag)}: labkit does not support it", node)
        written: dict[str, int] = {}
        for key_node, _ in node.value:
            if _is_merge(key_node):
                continue
            key = self._key(key_node)
            line = key_node.start_mark.line + 1
            if key in written:
                self._fail(f"duplicate key {key!r} (first written at line {written[key]})", key_node)
            written[key] = line
        entries: list[Entry] = []
        present = set(written)
        size = 1
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merged, merged_size = self._merged(value_node, present)
                entries.extend(merged)
                size += merged_size
                continue
            key = self._key(key_node)
            line = key_node.start_mark.line + 1
            value, value_size = self._convert(value_node)
            if isinstance(value, Scalar) and value.value is None:
                value = Scalar(None, line)  # an empty value sits on its key's line
            entries.append(Entry(key, line, value))
            size += value_size
            if size > MAX_NODES:
                break
        return MapNode(tuple(entries), node.start_mark.line + 1), size

    def _merged(self, value_node: yaml.Node, present: set[str]) -> tuple[list[Entry], int]:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        entries: list[Entry] = []
        size = 0
        for source_node in sources:
            source, source_size = self._convert(source_node)
            if not isinstance(source, MapNode):
                self._fail(
                    f"a merge key '<<' takes a mapping or a list of mappings, found {describe(source)}",
                    source_node,
                )
            size += source_size
            for entry in source.entries:
                if entry.key not in present:  # written keys and earlier merges win
                    present.add(entry.key)
                    entries.append(entry)
        return entries, size

    def _key(self, node: yaml.Node) -> str:
        if not isinstance(node, ScalarNode):
            self._fail("a mapping key must be a plain value, not a list or a mapping", node)
        return str(node.value)


_TAG_OF = {int: _INT, float: _FLOAT, bool: _BOOL, type(None): _NULL}


def _is_merge(node: yaml.Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _PLAIN_TAG and node.value == "<<"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag
