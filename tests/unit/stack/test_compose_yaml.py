"""Reading YAML: Compose's scalar typing, anchors and merge keys, lines, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.compose.scalars import scalar_text
from toolkit.stack.compose.yaml_source import MapNode, Node, Scalar, SeqNode, load_yaml


def _load(tmp_path: Path, text: str | bytes) -> MapNode:
    path = tmp_path / "compose.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return load_yaml(path, "compose.yaml")


def _plain(node: Node) -> object:
    """The tree as plain Python values, for comparisons."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, SeqNode):
        return [_plain(item) for item in node.items]
    return {entry.key: _plain(entry.value) for entry in node.entries}


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("yes", "yes"),  # YAML 1.2, as Compose reads it: not a boolean
        ("on", "on"),
        ("no", "no"),
        ("1:30", "1:30"),  # not sexagesimal
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("0777", 511),  # Go reads a leading 0 as octal
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", 1000),
        ("1.10", 1.1),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("'42'", "42"),
        ('"true"', "true"),
        ("!!str 80", "80"),
        ("!!float 1", 1.0),
        ("2001-12-14", "2001-12-14"),
    ],
)
def test_scalars_are_typed_as_compose_types_them(tmp_path: Path, written: str, value: object) -> None:
    root = _load(tmp_path, f"key: {written}\n")
    assert _plain(root) == {"key": value}
    assert type(_plain(root)["key"]) is type(value)  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.1, "1.1"), (1000.0, "1000"), (1e23, "1e+23"), (0.5, "0.5"), (True, "true"), (511, "511")],
)
def test_numbers_are_written_as_compose_writes_them(value: float, text: str) -> None:
    assert scalar_text(value) == text


def test_merge_keys_written_keys_win_and_earlier_merges_win(tmp_path: Path) -> None:
    root = _load(
        tmp_path,
        "x-a: &a {image: a, init: true, user: a}\n"
        "x-b: &b {image: b, tty: true, user: b}\n"
        "s:\n"
        "  <<: [*a, *b]\n"
        "  user: mine\n",
    )
    assert _plain(root)["s"] == {"image": "a", "init": True, "user": "mine", "tty": True}  # type: ignore[index]


def test_a_single_merge_and_a_plain_alias(tmp_path: Path) -> None:
    root = _load(tmp_path, "x: &x {a: 1}\ny:\n  <<: *x\n  b: 2\nz: *x\n")
    assert _plain(root) == {"x": {"a": 1}, "y": {"a": 1, "b": 2}, "z": {"a": 1}}


def test_a_quoted_merge_key_is_an_ordinary_key(tmp_path: Path) -> None:
    root = _load(tmp_path, "'<<': value\n")
    assert _plain(root) == {"<<": "value"}


def test_lines_are_those_of_the_keys(tmp_path: Path) -> None:
    root = _load(tmp_path, "# comment\nservices:\n  a:\n    image: alpine\n    empty:\n")
    services = root.entries[0]
    assert (services.key, services.line) == ("services", 2)
    service = services.value
    assert isinstance(service, MapNode)
    a = service.entries[0]
    assert isinstance(a.value, MapNode)
    assert [(e.key, e.line) for e in a.value.entries] == [("image", 4), ("empty", 5)]
    assert a.value.entries[1].value == Scalar(None, 5)  # an empty value sits on its key's line


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    assert _plain(_load(tmp_path, "\ufeffname: x\n".encode())) == {"name": "x"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "compose.yaml:2: duplicate key 'a' (first written at line 1)"),
        ("a:\n\tb: 1\n", "compose.yaml:2: a tab character indents this line"),
        ("- a\n", "compose.yaml:1: the top level must be a mapping of Compose keys, found a list"),
        ("", "compose.yaml:1: the file is empty"),
        ("a: 1\n---\nb: 2\n", "compose.yaml:2: the file holds more than one YAML document"),
        ("a: !!python/name:os.system x\n", "compose.yaml:1: unsupported YAML tag !!python/name"),
        ("a: !reset []\n", "compose.yaml:1: unsupported YAML tag !reset"),
        ("a: !!int abc\n", "compose.yaml:1: the value 'abc' does not match its tag !!int"),
        ("a: &x [*x]\n", "compose.yaml:1: an alias refers to the node that contains it"),
        ("a: *nope\n", "compose.yaml:1: invalid YAML: found undefined alias 'nope'"),
        ("? [a]\n: 1\n", "compose.yaml:1: a mapping key must be a plain value"),
        ("a:\n  <<: 5\n", "compose.yaml:2: a merge key '<<' takes a mapping"),
        ("a: 1\n\x01\n", "compose.yaml:2: invalid YAML: the control character U+0001 is not allowed"),
    ],
)
def test_refusals_say_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert str(caught.value).startswith(message)


def test_tabs_inside_values_are_fine(tmp_path: Path) -> None:
    assert _plain(_load(tmp_path, 'a: "x\\ty"\nb: "p\tq"\n')) == {"a": "x\ty", "b": "p\tq"}


def test_non_utf8_bytes_name_their_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, b"a: 1\nb: caf\xe9\n")
    assert str(caught.value) == ("compose.yaml:2: the file is not valid UTF-8 (byte 0xe9): save it as UTF-8")


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(ConfigError, match="alias bomb"):
        _load(tmp_path, "\n".join(levels) + "\n")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nests deeper than"):
        _load(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n")


def test_a_folder_is_no_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="it is a folder"):
        load_yaml(tmp_path, "here")
