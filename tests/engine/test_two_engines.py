"""A project remembers its engine: with Docker and Podman both up, every command finds it.

Each test brings a project up on one engine (Docker, then Podman) and drives the CLI without
--engine, or with the other engine's name, as a student with both engines would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime

from .conftest import connect_engine
from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers, test_subnet

pytestmark = pytest.mark.engine

COMPOSE = """\
name: twoeng
x-labkit:
  title: One host for the two-engine tests
  checks:
    - name: web is solved
      service: web
      run: test -f /tmp/solved
  solution:
    - service: web
      run: touch /tmp/solved
services:
  web:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    networks: [lan]
networks:
  lan:
    ipam:
      config:
        - subnet: {subnet}
"""


def _other(name: str) -> str:
    return "podman" if name == "docker" else "docker"


@pytest.fixture(scope="module")
def other_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """The engine that is not `runtime`: these tests need both up."""
    engine = connect_engine(_other(runtime.name), why="needs both engines; ")
    yield engine
    engine.close()


@pytest.fixture
def course(tmp_path: Path, busybox_image: str) -> Path:
    """A course of one exercise, `twoeng`, on a subnet of its own."""
    folder = tmp_path / "compose" / "twoeng"
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text(COMPOSE.format(image=busybox_image, subnet=test_subnet()))
    (tmp_path / "images").mkdir()
    return tmp_path


def _env(course: Path) -> dict[str, str]:
    """No engine asked for: as a student's shell, with the test course."""
    environ = {
        k: v for k, v in os.environ.items() if k not in ("LABKIT_ENGINE", "DOCKER_HOST", "CONTAINER_HOST")
    }
    return {**environ, "LABKIT_COURSE": str(course)}


def _run(course: Path, *args: str) -> tuple[int, str, str]:
    done = labkit(*args, env=_env(course))
    return done.returncode, done.stdout, done.stderr


def test_every_command_finds_the_project_on_its_engine(
    runtime: Runtime, other_runtime: Runtime, course: Path, unique_name: str
) -> None:
    here, there = runtime.name, other_runtime.name
    project = ("-p", unique_name)
    try:
        code, _, err = _run(course, "up", "twoeng", *project, "--engine", here)
        assert code == 0, err

        code, out, err = _run(course, "solve", "twoeng", *project)
        assert code == 0, err
        code, out, err = _run(course, "check", "twoeng", *project)
        assert code == 0, err
        assert f"(twoeng, project {unique_name}, {here})" in out

        code, out, err = _run(course, "exec", "twoeng", "web", *project, "--", "echo", "found")
        assert (code, out) == (0, "found\n"), err

        code, _, err = _run(course, "check", "twoeng", *project, "--engine", there)
        assert (code, err) == (
            2,
            f"error: project {unique_name} is not up on {there} but on {here}: add --engine {here}\n",
        )

        code, _, err = _run(course, "up", "twoeng", *project, "--engine", there)
        assert code == 2
        assert err.startswith(f"error: project {unique_name} is already up on {here}: ")
        assert leftovers(other_runtime, unique_name) == []  # refused before creating anything

        code, out, err = _run(course, "up", "twoeng", *project)  # follows the project
        assert code == 0, err
        assert out.startswith(f"project {unique_name} on {here}: up to date")

        code, _, err = _run(course, "check", "twoeng")  # -p forgotten
        assert code == 2
        assert err.startswith("error: project twoeng is not up; exercise twoeng is up as ")
        assert f"{unique_name} ({here})" in err  # (with any other copy up on this host)

        code, out, err = _run(course, "ps", "--json")
        assert code == 0, err
        mine = [row for row in json.loads(out) if row["project"] == unique_name]
        assert [(row["engine"], row["service"]) for row in mine] == [(here, "web")]

        code, out, _ = _run(course, "ps")
        lines = out.splitlines()
        heading = lines.index(f"{unique_name} on {here} (twoeng)")  # every engine's projects
        assert lines[heading + 1].split() == ["service", "state", "IPs"]
        assert lines[heading + 2].split()[:2] == ["web", "running"]

        code, out, _ = _run(course, "list", "--json")
        (entry,) = json.loads(out)
        # The other engine's run of this test may have its own copy up meanwhile.
        pairs = list(zip(entry["projects"], entry["engines"], strict=True))
        assert [pair for pair in pairs if pair[0] == unique_name] == [(unique_name, here)]

        code, out, err = _run(course, "down", *project)
        assert (code, out) == (0, f"project {unique_name}: removed 1 container, 1 network\n"), err
    finally:
        labkit("down", "-p", unique_name, "--engine", here)
    assert leftovers(runtime, unique_name) == []


def test_ps_of_a_project_that_is_not_up_exits_1(
    runtime: Runtime, other_runtime: Runtime, course: Path, unique_name: str
) -> None:
    code, out, err = _run(course, "ps", "twoeng", "-p", unique_name)
    assert (code, out) == (1, f"project {unique_name} is not up\n"), err


def test_a_subnet_held_on_the_other_engine_is_refused_before_anything_is_created(
    runtime: Runtime, other_runtime: Runtime, course: Path, unique_name: str
) -> None:
    here, there = runtime.name, other_runtime.name
    second = f"{unique_name}-b"
    try:
        code, _, err = _run(course, "up", "twoeng", "-p", unique_name, "--engine", here)
        assert code == 0, err
        code, _, err = _run(course, "up", "twoeng", "-p", second, "--engine", there)
        assert code == 2
        # Named as the other engine's network, or (when that engine is slow to answer) as the
        # host interface its bridge is: refused either way (elsewhere.py; unit-tested there).
        assert f"of project '{second}' overlaps " in err
        assert err.endswith("run with --renumber to give this project its own subnets\n")
        assert leftovers(other_runtime, second) == []

        # The self-test's throwaway project moves aside by itself.
        code, out, err = _run(course, "test", "twoeng", "--engine", there)
        assert code == 0, out + err
        assert f"PASS twoeng on {there}" in out
    finally:
        labkit("down", "-p", unique_name, "--engine", here)
        labkit("down", "-p", second, "--engine", there)
    assert leftovers(runtime, unique_name) == []
