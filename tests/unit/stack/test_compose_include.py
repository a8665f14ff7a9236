"""The top-level `include`: other files' services, networks and volumes join the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Dependency


def _write(folder: Path, **files: str) -> None:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)


MAIN = """
include:
  - db/compose.yaml
  - path: side/other.yaml
    project_directory: .
services:
  web:
    image: alpine
    depends_on: [db]
    networks: [shared]
    environment: {V: "${V}"}
networks:
  shared: {}
"""


def test_included_files_join_with_their_own_folder_and_variables(tmp_path: Path) -> None:
    _write(
        tmp_path,
        **{
            "compose.yaml": MAIN,
            ".env": "V=main\n",
            "db/.env": "V=db\nW=db-w\n",
            "db/ctx/Dockerfile": "FROM scratch\n",
            "db/compose.yaml": "name: ignored\nservices:\n  db:\n    build: ctx\n"
            "    environment: {V: '${V}', W: '${W}'}\n    networks: [shared, own]\n"
            "networks:\n  shared: {}\n  own: {}\n",
            "side/other.yaml": "services:\n  side:\n    image: busybox\n    volumes: [./db:/x]\n",
        },
    )
    stack = load_stack(tmp_path / "compose.yaml", environ={})
    assert stack.name == tmp_path.name.lower()
    assert list(stack.services) == ["db", "side", "web"]  # included files come first
    db = stack.services["db"]
    assert db.build is not None and db.build.context == tmp_path / "db" / "ctx"  # its own folder
    # The including file's variables win over the included file's .env.
    assert dict(db.environment) == {"V": "main", "W": "db-w"}
    assert stack.services["side"].volumes[0].source == str(tmp_path / "db")  # project_directory: .
    assert stack.services["web"].depends_on == (Dependency("db"),)
    assert set(stack.networks) == {"default", "shared", "own"}  # side joins the default


@pytest.mark.parametrize(
    ("include", "files", "message"),
    [
        ("[../x.yaml]", {}, "included file '../x.yaml' leaves the exercise folder"),
        ("[none.yaml]", {}, "included file 'none.yaml' does not exist"),
        ("[oci://x/y]", {}, "remote: labkit does not support remote includes"),
        ("[{path: [a.yaml, b.yaml]}]", {}, "several files merged into one: labkit does not support it"),
        ("[{project_directory: .}]", {}, "an include entry needs a 'path'"),
        ("[a.yaml]", {"a.yaml": "services:\n  web: {image: y}\n"}, "services.web is declared both here and"),
        (
            "[a.yaml]",
            {"a.yaml": "services:\n  b: {image: y}\nnetworks:\n  n: {internal: true}\n"},
            "networks.n is declared both here and",
        ),
        ("[a.yaml]", {"a.yaml": "services:\n  b: {image: y, depends_on: [web]}\n"}, "depends on 'web'"),
    ],
)
def test_a_wrong_include_is_one_error(
    tmp_path: Path, include: str, files: dict[str, str], message: str
) -> None:
    _write(
        tmp_path,
        **files,
        **{"compose.yaml": f"include: {include}\nservices:\n  web: {{image: x}}\nnetworks:\n  n: {{}}\n"},
    )
    with pytest.raises(ConfigError, match=message):
        load_stack(tmp_path / "compose.yaml", environ={})


def test_an_error_in_an_included_file_names_that_file_and_line(tmp_path: Path) -> None:
    _write(
        tmp_path,
        **{"compose.yaml": "include: [db/c.yaml]\n", "db/c.yaml": "services:\n  db:\n    image: 3\n"},
    )
    with pytest.raises(ConfigError) as caught:
        load_stack(tmp_path / "compose.yaml", environ={})
    assert caught.value.file == str(tmp_path / "db" / "c.yaml") and caught.value.line == 3


def test_a_named_env_file_also_stays_under_the_including_files_variables(tmp_path: Path) -> None:
    _write(
        tmp_path,
        **{
            "compose.yaml": "include:\n  - {path: inc/compose.yaml, env_file: inc/custom.env}\n",
            ".env": "V=main\n",
            "inc/custom.env": "V=inc\nW=inc-w\nP=inc-p\n",
            "inc/compose.yaml": "services:\n  db:\n    image: x\n"
            "    environment: {V: '${V}', W: '${W}', P: '${P}'}\n",
        },
    )
    db = load_stack(tmp_path / "compose.yaml", environ={"P": "process"}).services["db"]
    assert dict(db.environment) == {"V": "main", "W": "inc-w", "P": "process"}
