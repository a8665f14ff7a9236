""".env and env_file parsing, as Compose reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.compose.dotenv import read_env_file


def _read(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    path = tmp_path / "app.env"
    path.write_text(text)
    return read_env_file(path, "app.env", (environ or {}).get)


def test_the_forms_compose_accepts(tmp_path: Path) -> None:
    text = (
        "# comment\n"
        "\n"
        "A=plain value  # trailing comment\n"
        "B=no#comment\n"
        "C = spaced\n"
        'D="dq \\n esc \\t \\" \\\\ \\$ ${FOO} end"  # c\n'
        "E='sq ${FOO} \\n'\n"
        "export F=exported\n"
        "G=\n"
        'H="multi\n'
        'line"\n'
        "I=a=b=c\n"
        "K: colon\n"
        "L=`x`\n"
        "M=$FOO-${A}\n"
        "URL=http://host:80/\n"
    )
    assert _read(tmp_path, text, {"FOO": "foo"}) == {
        "A": "plain value",
        "B": "no#comment",
        "C": "spaced",
        "D": 'dq \n esc \t " \\ $ foo end',
        "E": "sq ${FOO} \\n",
        "F": "exported",
        "G": "",
        "H": "multi\nline",
        "I": "a=b=c",
        "K": "colon",
        "L": "`x`",
        "M": "foo-plain value",
        "URL": "http://host:80/",
    }


def test_a_key_alone_comes_from_the_environment_or_is_left_out(tmp_path: Path) -> None:
    assert _read(tmp_path, "SET\nUNSET\n", {"SET": "yes"}) == {"SET": "yes"}


def test_earlier_keys_of_the_file_come_first(tmp_path: Path) -> None:
    text = 'NAME="${NAME:-backend}"\nTAG=${TAG:-latest}\nIMAGE=$NAME:$TAG\n'
    assert _read(tmp_path, text, {"TAG": "1.0"})["IMAGE"] == "backend:1.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A=1\nbad key=2\n", "app.env:2: variable name 'bad key' contains a space"),
        ('A=1\nB="never closed\n', 'app.env:2: the value of B opens a quote (") that is never closed'),
        ("A=${B\n", "app.env:1 (A): unterminated '${'"),
        ("=value\n", "app.env:1: a line has no variable name"),
        ("A=${NEEDED:?set NEEDED}\n", "app.env:1 (A): required variable NEEDED is missing a value"),
    ],
)
def test_errors_name_the_env_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _read(tmp_path, text)
    assert str(caught.value).startswith(message)
