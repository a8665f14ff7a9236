"""Compose's variable substitution, case by case as `docker compose config` does it."""

from __future__ import annotations

import pytest

from toolkit.stack.compose.interpolate import (
    InterpolationError,
    TreeInterpolationError,
    interpolate_tree,
    substitute,
)
from toolkit.stack.compose.yaml_source import Entry, MapNode, Scalar, SeqNode

ENV = {"FOO": "foo", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("$FOO", "foo"),
        ("${FOO}", "foo"),
        ("$FOO-bar", "foo-bar"),
        ("a${FOO}b", "afoob"),
        ("${UNSET}", ""),
        ("$UNSET", ""),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${UNSET-d}", "d"),
        ("${UNSET:-a b c}", "a b c"),
        ("${UNSET:-}", ""),
        ("${FOO:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${EMPTY?boom}", ""),
        ("${FOO:?boom}", "foo"),
        ("${FOO:-${BAR:-x}}", "foo"),
        ("${BAR:-${FOO}}", "foo"),
        ("${FOO:-a}b}", "foob}"),
        ("a${UNSET:-$$}", "a$"),
        ("$$", "$"),
        ("$${FOO}", "${FOO}"),
        ("${FOO}$$${FOO}", "foo$foo"),
        ("price $5", "price $5"),
        ("a $ b", "a $ b"),
        ("$", "$"),
        ("$1", "$1"),
    ],
)
def test_substitute_reads_like_compose(text: str, expected: str) -> None:
    assert substitute(text, ENV.get) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET:?boom msg}", "required variable UNSET is missing a value: boom msg"),
        ("${EMPTY:?boom}", "required variable EMPTY is missing a value: boom"),
        ("${UNSET?}", "required variable UNSET is missing a value"),
        ("${UNSET:?}", "required variable UNSET is missing a value"),
        ("${UNSET?needs ${FOO}}", "required variable UNSET is missing a value: needs foo"),
    ],
)
def test_required_variables_say_what_is_missing(text: str, message: str) -> None:
    with pytest.raises(InterpolationError) as caught:
        substitute(text, ENV.get)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", ["${FOO", "a ${", "${FOO:-${BAR}"])
def test_an_unterminated_brace_is_an_error(text: str) -> None:
    with pytest.raises(InterpolationError, match="unterminated '\\$\\{'"):
        substitute(text, ENV.get)


@pytest.mark.parametrize("text", ["${}", "${1FOO}", "${FOO:x}", "${FOO/x}", "${FOO BAR}"])
def test_a_malformed_expression_is_an_error(text: str) -> None:
    with pytest.raises(InterpolationError, match="invalid interpolation"):
        substitute(text, ENV.get)


def test_tree_substitutes_values_but_never_keys() -> None:
    root = MapNode(
        (
            Entry("$FOO", 1, Scalar("${FOO}", 1)),
            Entry("list", 2, SeqNode((Scalar("$FOO", 3), Scalar(5, 4)), 3)),
        ),
        1,
    )
    result = interpolate_tree(root, ENV.get)
    assert result.entries[0].key == "$FOO"
    assert result.entries[0].value == Scalar("foo", 1)
    items = result.entries[1].value
    assert isinstance(items, SeqNode)
    assert items.items == (Scalar("foo", 3), Scalar(5, 4))


def test_tree_errors_carry_the_key_path_and_the_line_of_the_key() -> None:
    inner = MapNode((Entry("X", 7, Scalar("${NOPE:?set it}", 8)),), 7)
    root = MapNode((Entry("services", 5, inner),), 5)
    with pytest.raises(TreeInterpolationError) as caught:
        interpolate_tree(root, ENV.get)
    assert (caught.value.path, caught.value.line) == ("services.X", 7)
    assert caught.value.reason == "required variable NOPE is missing a value: set it"
