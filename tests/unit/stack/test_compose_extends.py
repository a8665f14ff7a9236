"""`extends`: a service merged over the one it extends, by Compose's merge rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Dependency, ServiceNetwork, Stack, VolumeMount


def _load(tmp_path: Path, text: str, **files: str) -> Stack:
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    (tmp_path / "compose.yaml").write_text(text)
    return load_stack(tmp_path / "compose.yaml", environ={})


BASE = """
services:
  base:
    image: alpine
    command: [sleep, "1"]
    environment: [A=1, B=2]
    labels: {x: "1"}
    volumes: ["./data:/data", "cache:/cache"]
    ports: ["8080:80"]
    dns: 1.1.1.1
    depends_on: [db]
    networks: [front]
    healthcheck: {test: [CMD, "true"], interval: 5s}
  web:
    extends: base
    command: echo hi
    environment: {B: "3", C: "4"}
    labels: [y=2]
    volumes: ["./data:/cache"]
    ports: ["8080:80", "7070:70"]
    dns: [8.8.8.8]
    depends_on: {cache: {condition: service_healthy}}
    networks: {back: {aliases: [w]}}
    healthcheck: {test: [CMD, "false"]}
  db: {image: alpine}
  cache: {image: alpine}
networks: {front: {}, back: {}}
volumes: {cache: {}}
"""


def test_a_service_of_the_same_file_is_merged_by_composes_rules(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    web = _load(tmp_path, BASE).services["web"]
    assert web.image == "alpine"
    assert web.command == ("echo", "hi")  # replaced, not appended
    assert dict(web.environment) == {"A": "1", "B": "3", "C": "4"}  # list and mapping merge
    assert dict(web.labels) == {"x": "1", "y": "2"}
    # One mount per target: the override's /cache replaces the base's, in its place.
    assert web.volumes == (
        VolumeMount("bind", "/data", str(tmp_path / "data")),
        VolumeMount("bind", "/cache", str(tmp_path / "data")),
    )
    assert [p.published for p in web.ports] == [8080, 7070]  # the same port kept once
    assert web.dns == ("1.1.1.1", "8.8.8.8")
    assert web.depends_on == (Dependency("db"), Dependency("cache", "service_healthy"))
    assert web.networks == (ServiceNetwork("front"), ServiceNetwork("back", aliases=("w",)))
    assert web.healthcheck is not None
    assert web.healthcheck.test == ("CMD", "false") and web.healthcheck.interval == 5.0


def test_a_base_in_another_file_keeps_its_paths_relative_to_its_folder(tmp_path: Path) -> None:
    (tmp_path / "common" / "ctx").mkdir(parents=True)
    (tmp_path / "common" / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    stack = _load(
        tmp_path,
        "services:\n  app:\n    extends: {file: common/base.yaml, service: builder}\n"
        "    environment: {Z: z}\n",
        **{
            "common/base.yaml": "services:\n  builder:\n    extends: core\n    build: ctx\n"
            "    env_file: app.env\n    volumes: ['./ctx:/src']\n"
            "  core:\n    image: core\n    user: nobody\n",
            "common/app.env": "E=${GREETING:-from-env-file}\n",
        },
    )
    app = stack.services["app"]
    assert app.build is not None and app.build.context == tmp_path / "common" / "ctx"
    assert (app.image, app.user) == ("core", "nobody")  # a base extending a base
    assert dict(app.environment) == {"E": "from-env-file", "Z": "z"}
    assert app.volumes == (VolumeMount("bind", "/src", str(tmp_path / "common" / "ctx")),)


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ("  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n", "extends makes a loop: a -> b -> a"),
        (
            "  a: {image: x, extends: nope}\n",
            "extends names service 'nope', which this file does not declare",
        ),
        ("  a: {image: x, extends: {file: ../out.yaml, service: b}}\n", "leaves the exercise folder"),
        (
            "  a: {image: x, extends: {file: none.yaml, service: b}}\n",
            "extends file 'none.yaml' does not exist",
        ),
        ("  a: {image: x, extends: {service: b, other: 1}}\n  b: {image: x}\n", "unknown key 'other'"),
        ("  a: {image: x, extends: [b]}\n", "expected a service name or a mapping, found a list"),
    ],
)
def test_a_wrong_extends_is_one_error_at_its_line(tmp_path: Path, services: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        _load(tmp_path, "services:\n" + services)
    assert caught.value.line == 2 and (caught.value.key_path or "").startswith("services.a.extends")


def test_profiles_append_so_an_extending_service_joins_its_bases_profiles(tmp_path: Path) -> None:
    text = "services:\n  base: {image: x, profiles: [never]}\n  a: {extends: base, profiles: []}\n"
    text += "  b: {extends: base, profiles: [dev]}\n"
    (tmp_path / "compose.yaml").write_text(text)
    stack = load_stack(tmp_path / "compose.yaml", environ={"COMPOSE_PROFILES": "dev"})
    assert list(stack.services) == ["b"] and stack.services["b"].profiles == ("never", "dev")


def test_an_error_in_a_base_from_another_file_is_reported_at_the_extends(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a string") as caught:
        _load(
            tmp_path,
            "services:\n  app:\n    image: x\n    extends:\n      file: base.yaml\n      service: b\n",
            **{"base.yaml": "services:\n  b:\n    user: [1]\n"},
        )
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "compose.yaml"), 4)
    assert caught.value.key_path == "services.app.user"
