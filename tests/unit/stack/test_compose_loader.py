"""The whole file: project name, default network, .env, x-labkit, cross-checks, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError, UsageError
from toolkit.stack.compose.loader import load_stack, normalise_project_name
from toolkit.stack.model import Check, Network, ServiceNetwork, SolutionStep, Stack

ONE_SERVICE = "services:\n  a:\n    image: alpine\n"


def _write(folder: Path, text: str, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content)
    path = folder / "compose.yaml"
    path.write_text(text)
    return path


def _load(folder: Path, text: str, environ: dict[str, str] | None = None, **files: str) -> Stack:
    return load_stack(_write(folder, text, **files), environ=environ or {})


@pytest.mark.parametrize(
    ("written", "name"),
    [("My_Proj.X", "my_projx"), ("-Foo", "foo"), ("web-db", "web-db"), ("Lab 1", "lab1")],
)
def test_project_names_are_normalised_like_compose(written: str, name: str) -> None:
    assert normalise_project_name(written) == name


def test_the_project_name_comes_from_the_argument_then_name_then_folder(tmp_path: Path) -> None:
    folder = tmp_path / "Static-IP.Lab"
    assert _load(folder, ONE_SERVICE).name == "static-iplab"
    assert _load(folder, "name: Routing\n" + ONE_SERVICE).name == "routing"
    path = folder / "compose.yaml"
    assert load_stack(path, environ={}, project="My Run").name == "myrun"
    with pytest.raises(UsageError, match="invalid project name"):
        load_stack(path, environ={}, project="---")


def test_the_stack_knows_its_file(tmp_path: Path) -> None:
    stack = _load(tmp_path, ONE_SERVICE)
    assert stack.file == tmp_path / "compose.yaml"
    assert stack.folder == tmp_path


def test_services_without_networks_join_the_default_network(tmp_path: Path) -> None:
    stack = _load(
        tmp_path,
        "services:\n  a:\n    image: alpine\n  b:\n    image: alpine\n    networks: [lan]\n"
        "  c:\n    image: alpine\n    network_mode: none\nnetworks:\n  lan: {}\n",
    )
    assert stack.services["a"].networks == (ServiceNetwork("default"),)
    assert stack.services["c"].networks == ()
    assert stack.networks["default"] == Network("default")
    assert set(stack.networks) == {"default", "lan"}


def test_no_default_network_when_every_service_names_its_own(tmp_path: Path) -> None:
    stack = _load(tmp_path, "services:\n  a:\n    image: alpine\n    networks: [lan]\nnetworks:\n  lan:\n")
    assert set(stack.networks) == {"lan"}


def test_a_declared_default_network_keeps_its_settings(tmp_path: Path) -> None:
    stack = _load(
        tmp_path,
        ONE_SERVICE + "networks:\n  default:\n    internal: true\n    ipam:\n      config:\n"
        "        - subnet: 10.9.0.0/24\n",
    )
    assert stack.networks["default"] == Network("default", subnet="10.9.0.0/24", internal=True)


def test_dotenv_feeds_interpolation_and_the_environment_wins(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: ${IMAGE}:${TAG}\n    environment: [FROM_DOTENV]\n"
    dotenv = "IMAGE=busybox\nTAG=1.36\nFROM_DOTENV=dotenv\n"
    stack = _load(tmp_path, text, {"TAG": "latest"}, **{".env": dotenv})
    assert stack.services["a"].image == "busybox:latest"
    assert stack.services["a"].environment == {"FROM_DOTENV": "dotenv"}


def test_unset_variables_become_empty_as_in_compose(tmp_path: Path) -> None:
    stack = _load(tmp_path, "services:\n  a:\n    image: alpine\n    environment: {X: '${NOPE}'}\n")
    assert stack.services["a"].environment == {"X": ""}


def test_interpolation_errors_point_at_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "services:\n  a:\n    image: ${IMAGE:?set IMAGE}\n")
    assert (caught.value.line, caught.value.key_path) == (3, "services.a.image")
    assert caught.value.reason == "required variable IMAGE is missing a value: set IMAGE"


def test_x_labkit_is_read_into_the_exercise(tmp_path: Path) -> None:
    stack = _load(
        tmp_path,
        ONE_SERVICE + "x-labkit:\n  title: T\n  description: D\n  allow: [privileged]\n"
        "  checks:\n"
        "    - name: shell\n      service: a\n      run: ping -c 1 b\n"
        "      expect_output: '1 received'\n"
        "    - name: argv\n      service: a\n      run: [cat, /etc/hostname]\n"
        "      expect_exit: 1\n      timeout: 1m\n      graded: false\n      user: root\n"
        "  solution:\n    - service: a\n      run: ip route\n      timeout: 5\n",
    )
    exercise = stack.exercise
    assert (exercise.title, exercise.description, exercise.allow) == ("T", "D", ("privileged",))
    assert exercise.checks == (
        Check("shell", "a", ("/bin/sh", "-c", "ping -c 1 b"), expect_output="1 received"),
        Check("argv", "a", ("cat", "/etc/hostname"), 1, None, 60.0, False, "root"),
    )
    assert exercise.solution == (SolutionStep("a", ("/bin/sh", "-c", "ip route"), timeout=5.0),)


def test_extensions_are_allowed_where_compose_allows_them(tmp_path: Path) -> None:
    stack = _load(
        tmp_path,
        "x-top: 1\nversion: '3.8'\nservices:\n  a:\n    x-note: hi\n    image: alpine\n"
        "    healthcheck:\n      x-why: because\n      test: 'true'\nnetworks:\n  lan:\n    x-n: 1\n",
    )
    assert stack.services["a"].healthcheck is not None


def test_an_empty_services_section_is_a_valid_file(tmp_path: Path) -> None:
    assert _load(tmp_path, "name: nothing\nservices: {}\n").services == {}


def test_paths_may_be_left_unchecked_but_never_outside(tmp_path: Path) -> None:
    text = "services:\n  a:\n    build: ./missing\n    volumes: [./nothing:/x]\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="does not exist"):
        load_stack(path, environ={})
    stack = load_stack(path, environ={}, check_paths=False)
    assert stack.services["a"].volumes[0].source == str(tmp_path / "nothing")
    _write(tmp_path, "services:\n  a:\n    build: ../elsewhere\n")
    with pytest.raises(ConfigError, match="leaves the exercise folder"):
        load_stack(path, environ={}, check_paths=False)


def test_a_symlink_inside_the_folder_to_inside_is_fine(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    stack = _load(tmp_path, "services:\n  a:\n    image: alpine\n    volumes: [./link:/x]\n")
    assert stack.services["a"].volumes[0].source == str(tmp_path / "link")


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        (
            "services:\n  a:\n    image: alpine\n    depends_on: [b]\n"
            "  b:\n    image: alpine\n    depends_on: [a]\n",
            (7, "services.b.depends_on.a"),
            "dependency cycle: a -> b -> a",
        ),
        (
            "services:\n  a:\n    image: alpine\n    networks:\n      lan:\n"
            "        ipv4_address: 10.0.1.9\nnetworks:\n  lan:\n    ipam:\n      config:\n"
            "        - subnet: 10.0.0.0/24\n",
            (6, "services.a.networks.lan.ipv4_address"),
            "ipv4_address 10.0.1.9 is outside the subnet 10.0.0.0/24 of network 'lan'",
        ),
        (
            ONE_SERVICE + "x-labkit:\n  checks:\n    - name: c\n      service: b\n      run: 'true'\n",
            (7, "x-labkit.checks[0].service"),
            "check names service 'b', which is not a service of this file",
        ),
    ],
)
def test_cross_checks_name_the_line_and_path(
    tmp_path: Path, text: str, where: tuple[int, str], reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert (caught.value.line, caught.value.key_path) == where
    assert caught.value.reason == reason
    assert str(caught.value) == f"{tmp_path / 'compose.yaml'}:{where[0]} ({where[1]}): {reason}"
