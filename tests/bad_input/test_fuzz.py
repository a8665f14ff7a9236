"""Mutated exercises either load or raise ConfigError: never any other exception.

Two kinds of mutation, both starting from good files (the course's exercises and labkit's
own fixtures): edits of the text (characters, lines, indentation, YAML and Compose tokens),
which mostly probe the YAML layer, and edits of the parsed structure (a value replaced, a
key dropped or renamed), which reach the Compose layer behind it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.errors import ConfigError
from toolkit.stack.compose.loader import load_stack

REPO = Path(__file__).resolve().parents[2]
SEED_FILES = sorted(
    [*REPO.glob("compose/*/compose.yaml"), *(REPO / "tests/conformance/good").glob("*/compose.yaml")]
)
ENVIRON = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "IMAGE": "alpine", "TAG": "3"}

TOKENS = [
    "", " ", "\n", "\t", ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "#", "&a ", "*a", "<<: *a",
    "!!str ", "!!int ", "!!binary ", "!reset ", "'", '"', "|", ">", "---\n", "...\n", "~", "null",
    "true", "yes", "0x1F", "0777", "1e999", "-1", "0", "65536", "99999999999999999999999", ".inf",
    "${", "${X", "${X:?boom}", "${X:-${Y", "$$", "$X", "..", "../..", "/", "/etc", "~/x",
    "\x00", "\u2028", "é", "image", "services", "networks", "volumes", "build", "ports",
    "ipv4_address", "depends_on", "healthcheck", "x-labkit", "checks", "solution", "run",
    "10.0.0.1", "10.0.0.0/8", "8080:80", "80-81:80", "1m30s", "10x", "512m", "CMD-SHELL",
]  # fmt: skip
KEYS = [
    "image", "build", "context", "dockerfile", "command", "entrypoint", "environment",
    "env_file", "networks", "ipv4_address", "aliases", "ports", "target", "published", "volumes",
    "type", "source", "read_only", "healthcheck", "test", "interval", "retries", "depends_on",
    "condition", "ulimits", "soft", "hard", "deploy", "resources", "limits", "ipam", "config",
    "subnet", "gateway", "internal", "labels", "driver", "external", "name", "services",
    "x-labkit", "checks", "solution", "service", "run", "expect_output", "timeout", "allow",
    "x-ext", "<<", "restart", "privileged", "tmpfs", "extra_hosts", "dns", "sysctls",
]  # fmt: skip

_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), max_size=6
)  # no lone surrogates: they cannot even be written to a file
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(TOKENS),
    _text,
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), _text), children, max_size=3),
    ),
    max_leaves=8,
)
_text_edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "dup", "drop", "swap", "indent", "dedent"]),
        st.integers(min_value=0, max_value=1_000_000),
        st.one_of(st.sampled_from(TOKENS), _text),
    ),
    min_size=1,
    max_size=4,
)
_structure_edits = st.lists(
    st.tuples(
        st.sampled_from(["set", "drop", "rename"]),
        st.integers(min_value=0, max_value=1_000_000),
        _values,
        st.sampled_from(KEYS),
    ),
    min_size=1,
    max_size=3,
)


class Seeds(list[tuple[Path, str]]):
    """The seed files; short to print, for Hypothesis's failure reports."""

    def __repr__(self) -> str:
        return f"<{len(self)} seed files>"


@pytest.fixture(scope="module")
def seeds() -> Iterator[Seeds]:
    """Each seed's folder copied once; examples overwrite the copy's compose.yaml."""
    if not SEED_FILES:
        pytest.skip("no good Compose files to mutate")
    with tempfile.TemporaryDirectory(prefix="labkit-fuzz-") as workspace:
        copies = Seeds()
        for index, path in enumerate(SEED_FILES):
            folder = Path(workspace) / f"{index}-{path.parent.name}"
            shutil.copytree(path.parent, folder, symlinks=True)
            copies.append((folder / "compose.yaml", path.read_text(encoding="utf-8")))
        yield copies


def _edit_text(text: str, edits: list[tuple[str, int, str]]) -> str:
    for kind, position, payload in edits:
        lines = text.split("\n")
        at = position % (len(text) + 1)
        row = position % len(lines)
        if kind == "insert":
            text = text[:at] + payload + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 + len(payload) :]
        elif kind == "replace":
            text = text[:at] + payload + text[at + len(payload) or at + 1 :]
        elif kind == "dup":
            text = "\n".join([*lines[: row + 1], lines[row], *lines[row + 1 :]])
        elif kind == "drop":
            text = "\n".join(lines[:row] + lines[row + 1 :])
        elif kind == "swap" and len(lines) > 1:
            other = (row + 1 + len(payload)) % len(lines)
            lines[row], lines[other] = lines[other], lines[row]
            text = "\n".join(lines)
        elif kind == "indent":
            lines[row] = " " * (1 + len(payload) % 4) + lines[row]
            text = "\n".join(lines)
        elif kind == "dedent":
            lines[row] = lines[row][1 + len(payload) % 4 :]
            text = "\n".join(lines)
    return text


def _places(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _places(value, (*path, index))
    return found


def _edit_structure(text: str, edits: list[tuple[str, int, Any, str]]) -> str:
    data = yaml.safe_load(text)
    for kind, position, value, key in edits:
        places = [place for place in _places(data) if place]
        if not places:
            break
        place = places[position % len(places)]
        parent = data
        for step in place[:-1]:
            parent = parent[step]
        last = place[-1]
        if kind == "set":
            parent[last] = value
        elif kind == "drop":
            del parent[last]
        elif isinstance(parent, dict):
            parent[key] = parent.pop(last)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# Both mutation tests: a bounded number of examples, each allowed to take its time.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _load_or_refuse(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_stack(path, environ=ENVIRON)
    except ConfigError:
        pass  # refused, with a place and a reason: what bad input should get


@FUZZ
@given(data=st.data())
def test_text_mutations_load_or_raise_config_error(seeds: Seeds, data: st.DataObject) -> None:
    path, text = seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")]
    _load_or_refuse(path, _edit_text(text, data.draw(_text_edits)))


@FUZZ
@given(data=st.data())
def test_structure_mutations_load_or_raise_config_error(seeds: Seeds, data: st.DataObject) -> None:
    path, text = seeds[data.draw(st.integers(0, len(seeds) - 1), label="seed")]
    _load_or_refuse(path, _edit_structure(text, data.draw(_structure_edits)))
