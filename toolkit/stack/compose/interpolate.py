"""Compose's variable substitution: `$VAR`, `${VAR}`, defaults, required values, `$$`.

    ${VAR:-default}  default when VAR is unset or empty     ${VAR-default}  ... when unset
    ${VAR:?message}  error when VAR is unset or empty       ${VAR?message}  ... when unset
    ${VAR:+other}    `other` when VAR is set and not empty   ${VAR+other}    ... when set
    $$               a literal $

An unset variable with no default becomes the empty string, as in Compose. A `$` followed by
anything else is kept as it is; a `${` that is not closed or holds no valid name is an error.
Defaults and alternatives are substituted in turn, so `${A:-${B}}` works.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from toolkit.stack.compose.yaml_source import Entry, MapNode, Node, Scalar, SeqNode

Lookup = Callable[[str], str | None]

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
MAX_NESTING = 32


class InterpolationError(ValueError):
    """A `${...}` expression is malformed or a required variable is missing."""


def substitute(text: str, lookup: Lookup, *, depth: int = 0) -> str:
    """Replace every variable reference in `text`; raise InterpolationError if one is bad."""
    if depth > MAX_NESTING:
        raise InterpolationError(f"defaults nest deeper than {MAX_NESTING} levels")
    if "$" not in text:
        return text
    out: list[str] = []
    index = 0
    while True:
        dollar = text.find("$", index)
        if dollar < 0:
            out.append(text[index:])
            return "".join(out)
        out.append(text[index:dollar])
        after = text[dollar + 1 : dollar + 2]
        if after == "$":
            out.append("$")
            index = dollar + 2
        elif after == "{":
            value, index = _braced(text, dollar, lookup, depth)
            out.append(value)
        elif (match := _NAME.match(text, dollar + 1)) is not None:
            out.append(lookup(match.group()) or "")
            index = match.end()
        else:
            out.append("$")
            index = dollar + 1


def _braced(text: str, dollar: int, lookup: Lookup, depth: int) -> tuple[str, int]:
    end = _closing_brace(text, dollar + 2)
    if end < 0:
        raise InterpolationError(
            f"unterminated '${{' in {text[dollar:]!r}: close it with '}}', or write $$ for a literal $"
        )
    expression = text[dollar + 2 : end]
    match = _NAME.match(expression)
    operator = next((op for op in _OPERATORS if match and expression.startswith(op, match.end())), None)
    if match is None or (match.end() < len(expression) and operator is None):
        raise InterpolationError(
            f"invalid interpolation '${{{expression}}}': write ${{NAME}}, ${{NAME:-default}}, "
            "${NAME:?message} or ${NAME:+other}, or $$ for a literal $"
        )
    name = match.group()
    value = lookup(name)
    if operator is None:
        return value or "", end + 1
    argument = expression[match.end() + len(operator) :]
    unset_only = not operator.startswith(":")
    missing = value is None if unset_only else not value
    kind = operator[-1]
    if kind == "-":
        result = substitute(argument, lookup, depth=depth + 1) if missing else value or ""
    elif kind == "+":
        result = "" if missing else substitute(argument, lookup, depth=depth + 1)
    else:
        if missing:
            message = substitute(argument, lookup, depth=depth + 1)
            detail = f": {message}" if message else ""
            raise InterpolationError(f"required variable {name} is missing a value{detail}")
        result = value or ""
    return result, end + 1


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    index = start
    while index < len(text):
        if text.startswith("$$", index):
            index += 2
            continue
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return -1


def interpolate_tree(root: MapNode, lookup: Lookup) -> MapNode:
    """Substitute variables in every string value of the tree (never in keys), as Compose does.

    Raises TreeInterpolationError, which carries the key path and the line.
    """
    result = _walk(root, "", root.line, lookup)
    assert isinstance(result, MapNode)
    return result


class TreeInterpolationError(InterpolationError):
    """An interpolation error at a known place in the file."""

    def __init__(self, reason: str, path: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.line = line


def _walk(node: Node, path: str, line: int, lookup: Lookup) -> Node:
    # `line` is where the value's key (or list item) is written: errors point there.
    if isinstance(node, Scalar):
        if not isinstance(node.value, str) or "$" not in node.value:
            return node
        try:
            return Scalar(substitute(node.value, lookup), node.line)
        except InterpolationError as exc:
            raise TreeInterpolationError(str(exc), path, line) from None
    if isinstance(node, SeqNode):
        items = tuple(
            _walk(item, f"{path}[{index}]", item.line, lookup) for index, item in enumerate(node.items)
        )
        return SeqNode(items, node.line)
    entries = tuple(
        Entry(
            entry.key,
            entry.line,
            _walk(entry.value, f"{path}.{entry.key}" if path else entry.key, entry.line, lookup),
        )
        for entry in node.entries
    )
    return MapNode(entries, node.line)
