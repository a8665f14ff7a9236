"""Typed readers over the YAML tree: every value read knows its key path and its line.

The loader reads the file only through these, so every wrong type, unknown key and bad value
becomes one ConfigError saying where it is and what was expected.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, TypeVar

from toolkit.errors import ConfigError
from toolkit.stack.compose.scalars import scalar_text
from toolkit.stack.compose.units import parse_duration, parse_size
from toolkit.stack.compose.yaml_source import MapNode, Node, Scalar, SeqNode, describe

T = TypeVar("T")
D = TypeVar("D")

UNSUPPORTED = "labkit does not support"  # every refusal of a valid Compose feature says this
_TRUE = frozenset({"true", "yes", "y", "on"})
_FALSE = frozenset({"false", "no", "n", "off"})
_INTEGER = re.compile(r"[-+]?[0-9]{1,30}")


@dataclass
class LoadContext:
    """What every reader needs to know about the file being loaded."""

    display: str  # how errors name the Compose file
    folder: Path  # the Compose file's folder, absolute
    environ: Mapping[str, str]  # variables for interpolation: the environment over `.env`
    check_paths: bool = True  # require build contexts, bind sources and Dockerfiles to exist
    lines: dict[str, int] = field(default_factory=dict)  # key path -> line, for later checks

    def error(self, message: str, path: str) -> ConfigError:
        """A ConfigError at `path`, on the line a reader recorded for it."""
        return ConfigError(message, file=self.display, line=self.lines.get(path), key_path=path)


@dataclass(frozen=True)
class At:
    """A node of the file and where it is: its key path and the line of its key or item."""

    node: Node
    path: str
    line: int
    ctx: LoadContext

    def fail(self, message: str) -> NoReturn:
        """Raise a ConfigError here."""
        raise ConfigError(message, file=self.ctx.display, line=self.line, key_path=self.path)

    def expected(self, what: str) -> NoReturn:
        """Raise "expected WHAT, found THIS"."""
        self.fail(f"expected {what}, found {describe(self.node)}")

    @property
    def is_null(self) -> bool:
        return isinstance(self.node, Scalar) and self.node.value is None

    def child(self, key: str, node: Node, line: int) -> At:
        """The value under `key`, its line recorded for later checks."""
        path = f"{self.path}.{key}" if self.path else key
        self.ctx.lines.setdefault(path, line)
        return At(node, path, line, self.ctx)


@dataclass(frozen=True)
class Keys:
    """The keys one kind of mapping may hold."""

    what: str  # e.g. "a service", for messages
    supported: frozenset[str]
    unsupported: frozenset[str] = frozenset()  # real Compose keys labkit refuses
    extensions: bool = True  # `x-*` keys allowed (and ignored)


def keys(what: str, supported: str, unsupported: str = "", extensions: bool = True) -> Keys:
    """Build a Keys from space-separated names."""
    return Keys(what, frozenset(supported.split()), frozenset(unsupported.split()), extensions)


def entries(at: At, *, allow_null: bool = False) -> dict[str, At]:
    """The keys of a mapping, in file order."""
    if allow_null and at.is_null:
        return {}
    if not isinstance(at.node, MapNode):
        at.expected("a mapping")
    return {entry.key: at.child(entry.key, entry.value, entry.line) for entry in at.node.entries}


def items(at: At) -> list[At]:
    """The items of a list."""
    if not isinstance(at.node, SeqNode):
        at.expected("a list")
    found: list[At] = []
    for index, item in enumerate(at.node.items):
        path = f"{at.path}[{index}]"
        at.ctx.lines.setdefault(path, item.line)
        found.append(At(item, path, item.line, at.ctx))
    return found


def checked(at: At, spec: Keys, *, allow_null: bool = False) -> dict[str, At]:
    """The keys of a mapping after refusing unknown and unsupported ones; `x-*` left out."""
    fields = entries(at, allow_null=allow_null)
    kept: dict[str, At] = {}
    for name, value in fields.items():
        if spec.extensions and name.startswith("x-"):
            continue
        if name in spec.supported:
            kept[name] = value
        elif name in spec.unsupported:
            value.fail(f"unsupported Compose key {name!r}: {UNSUPPORTED} it")
        else:
            value.fail(_unknown(name, spec))
    return kept


def _unknown(name: str, spec: Keys) -> str:
    close = difflib.get_close_matches(name, sorted(spec.supported | spec.unsupported), n=1)
    if close:
        return f"unknown key {name!r} (did you mean {close[0]!r}?)"
    if len(spec.supported) <= 12:
        return f"unknown key {name!r} in {spec.what}; expected one of: " + ", ".join(sorted(spec.supported))
    return f"unknown key {name!r} in {spec.what}"


def optional(fields: Mapping[str, At], key: str, read: Callable[[At], T], default: D) -> T | D:
    """Read `key` with `read` when present, else return `default`."""
    at = fields.get(key)
    return default if at is None else read(at)


# ---------------------------------------------------------------- scalars


def string(at: At) -> str:
    """A string (not a number or a boolean: Compose refuses those where it wants text)."""
    if not isinstance(at.node, Scalar) or not isinstance(at.node.value, str):
        at.expected("a string")
    return at.node.value


def nonempty_string(at: At) -> str:
    """A string with something in it."""
    value = string(at)
    if not value.strip():
        at.fail("must not be empty")
    return value


def scalar_string(at: At) -> str:
    """A string, number or boolean, written as text (Compose accepts all three here)."""
    if not isinstance(at.node, Scalar) or at.node.value is None:
        at.expected("a string or a number")
    return scalar_text(at.node.value)


def boolean(at: At) -> bool:
    """A boolean; a string such as "true" or "no" (e.g. from a variable) counts as well."""
    if isinstance(at.node, Scalar):
        value = at.node.value
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    at.expected("a boolean (true or false)")


def integer(at: At, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer, or a string holding one."""
    number: int | None = None
    if isinstance(at.node, Scalar):
        value = at.node.value
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            number = int(value.strip())
    if number is None:
        at.expected("an integer")
    if minimum is not None and number < minimum:
        at.fail(f"must be at least {minimum}, found {number}")
    if maximum is not None and number > maximum:
        at.fail(f"must be at most {maximum}, found {number}")
    return number


def number(at: At, *, positive: bool = False) -> float:
    """A number, or a string holding one."""
    found: float | None = None
    if isinstance(at.node, Scalar):
        value = at.node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            found = float(value)
        elif isinstance(value, str):
            try:
                found = float(value.strip())
            except ValueError:
                found = None
    if found is None or not math.isfinite(found):
        at.expected("a number")
    if positive and found <= 0:
        at.fail(f"must be more than 0, found {scalar_text(found)}")
    return found


def duration(at: At) -> float:
    """A Compose duration such as "10s" or "1m30s", in seconds."""
    try:
        return parse_duration(string(at))
    except ValueError as exc:
        at.fail(str(exc))


def size(at: At) -> int:
    """A size in bytes: a number, or a string such as "512m"."""
    if isinstance(at.node, Scalar):
        value = at.node.value
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return int(value)
        if isinstance(value, str):
            try:
                return parse_size(value)
            except ValueError as exc:
                at.fail(str(exc))
    at.expected("a size such as '512m' or a number of bytes")


# ---------------------------------------------------------------- collections


def string_list(at: At) -> tuple[str, ...]:
    """A list of strings; repeated items are kept once, as Compose does."""
    return tuple(dict.fromkeys(string(item) for item in items(at)))


def string_or_list(at: At) -> tuple[str, ...]:
    """A string, or a list of strings."""
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        return (at.node.value,)
    if isinstance(at.node, SeqNode):
        return string_list(at)
    at.expected("a string or a list of strings")


def key_values(at: At) -> dict[str, tuple[str | None, At]]:
    """A mapping `KEY: value`, or a list of "KEY=value" strings, in file order.

    A value is None when the key is given alone ("KEY" in a list, `KEY:` with no value).
    Each value comes with the node it was read from, for later errors.
    """
    found: dict[str, tuple[str | None, At]] = {}
    if isinstance(at.node, MapNode):
        for key, value_at in entries(at).items():
            node = value_at.node
            if not isinstance(node, Scalar):
                value_at.expected("a string, a number, a boolean or null")
            found[key] = (None if node.value is None else scalar_text(node.value), value_at)
        return found
    if isinstance(at.node, SeqNode):
        for item in items(at):
            key, separator, value = string(item).partition("=")
            if not key:
                item.fail(f"expected KEY=value, found {string(item)!r}")
            found[key] = (value if separator else None, item)
        return found
    at.expected("a mapping or a list of KEY=value strings")


def string_map(at: At) -> dict[str, str]:
    """Labels, sysctls: a mapping or a list of KEY=value; a key given alone has an empty value."""
    return {key: value or "" for key, (value, _) in key_values(at).items()}
