"""The stack commands as a user runs them: a real `labkit` process against each engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime

from .conftest import BUSYBOX_REF
from .test_stack_fixtures import leftovers, test_subnet

pytestmark = pytest.mark.engine

COMPOSE = """\
name: clitest
x-labkit:
  title: Two services for the CLI tests
  checks:
    - name: web answers
      service: web
      run: "true"
services:
  db:
    image: {image}
    init: true
    command: ["sh", "-c", "echo db ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  web:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    depends_on:
      db:
        condition: service_healthy
    networks: [lan, default]
networks:
  lan:
    ipam:
      config:
        - subnet: {subnet}
"""


def labkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )


def write_compose(tmp_path: Path, image: str) -> Path:
    folder = tmp_path / "clitest"
    folder.mkdir()
    path = folder / "compose.yaml"
    path.write_text(COMPOSE.format(image=image, subnet=test_subnet()))
    return path


@pytest.fixture
def compose_file(tmp_path: Path, busybox_image: str) -> Path:
    return write_compose(tmp_path, busybox_image)


def test_up_ps_exec_logs_down(runtime: Runtime, compose_file: Path, unique_name: str) -> None:
    engine = ("--engine", runtime.name)
    try:
        up = labkit("up", str(compose_file), "-p", unique_name, *engine)
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith(f"project {unique_name} on {runtime.name}: 2 services started\n")
        header = up.stdout.splitlines()[1].split()
        # db has a health check; no service publishes a port: no ports column.
        assert header == ["service", "state", "health", "IPs"]

        ps = labkit("ps", str(compose_file), "-p", unique_name, "--json", *engine)
        assert ps.returncode == 0, ps.stderr
        rows = json.loads(ps.stdout)
        assert [(r["service"], r["state"], r["health"]) for r in rows] == [
            ("db", "running", "healthy"),
            ("web", "running", None),
        ]
        assert sorted(rows[1]["ips"]) == ["default", "lan"]
        assert {r["project"] for r in rows} == {unique_name}
        assert {r["exercise"] for r in rows} == {"clitest"}

        everything = json.loads(labkit("ps", "--json", *engine).stdout)
        assert {(r["project"], r["service"]) for r in everything} >= {
            (unique_name, "db"),
            (unique_name, "web"),
        }

        ran = labkit(
            "exec",
            str(compose_file),
            "web",
            "-p",
            unique_name,
            *engine,
            "--",
            "sh",
            "-c",
            "echo hi; echo oops >&2; exit 3",
        )
        assert (ran.returncode, ran.stdout, ran.stderr) == (3, "hi\n", "oops\n")

        logs = labkit("logs", str(compose_file), "db", "-p", unique_name, "--tail", "5", *engine)
        assert (logs.returncode, logs.stdout) == (0, "db ready\n")

        again = labkit("up", str(compose_file), "-p", unique_name, *engine)
        assert again.stdout.startswith(
            f"project {unique_name} on {runtime.name}: up to date, nothing changed\n"
        )

        down = labkit("down", "-p", unique_name, *engine)
        assert (down.returncode, down.stdout) == (
            0,
            f"project {unique_name}: removed 2 containers, 2 networks\n",
        )
        assert json.loads(labkit("ps", "-p", unique_name, "--json", *engine).stdout) == []
        nothing = labkit("down", "-p", unique_name, *engine)
        assert nothing.stdout == f"project {unique_name}: nothing to remove\n"
    finally:
        labkit("down", "-p", unique_name, *engine)
    assert leftovers(runtime, unique_name) == []


def test_failed_up_prints_probe_output_and_log_tail(
    runtime: Runtime, compose_file: Path, unique_name: str
) -> None:
    text = compose_file.read_text().replace(
        'test: ["CMD", "true"]', 'test: ["CMD-SHELL", "echo no db yet; exit 1"]'
    )
    compose_file.write_text(text)
    try:
        up = labkit("up", str(compose_file), "-p", unique_name, "--timeout", "1s", "--engine", runtime.name)
    finally:
        labkit("down", "-p", unique_name, "--engine", runtime.name)
    assert up.returncode == 1
    assert up.stdout == ""
    lines = up.stderr.splitlines()
    assert lines[:5] == [
        "removing what this up created",
        "last probe output of db:",
        "  no db yet",
        "last 1 log lines of db:",
        "  db ready",
    ]
    assert lines[-1].startswith("error: service db was not healthy within 1 s")
    assert leftovers(runtime, unique_name) == []


def test_validate_needs_no_engine_and_prints_the_plan(tmp_path: Path) -> None:
    compose_file = write_compose(tmp_path, BUSYBOX_REF)
    # An engine choice that cannot be resolved: validate must not ask for one.
    result = labkit("validate", str(compose_file), env={"LABKIT_ENGINE": "nonsense"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{compose_file}: valid, project clitest (Two services for the CLI tests)"
    assert lines[1] == "services, in start order:"
    assert lines[3].split() == ["0", "db", "labkit-test/busybox:latest", "-"]
    assert lines[4].split() == ["1", "web", "labkit-test/busybox:latest", "db", "(healthy)"]
    assert "networks:" in lines
    assert lines[-2:] == ["checks: 1", "  [web] web answers"]


def test_validate_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "compose.yaml").write_text("services:\n  web:\n    image: x\n    depends_on: [db]\n")
    result = labkit("validate", str(folder))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {folder / 'compose.yaml'}:4 (services.web.depends_on.db): service 'web' depends on "
        "'db', which is not a service of this file\n"
    )


def test_dash_p_follows_the_one_project_name_rule(tmp_path: Path) -> None:
    compose_file = write_compose(tmp_path, BUSYBOX_REF)
    result = labkit("validate", str(compose_file), "-p", "Alice", env={"LABKIT_ENGINE": "nonsense"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"{compose_file}: valid, project alice (Two services for the CLI tests)"
    )
    # Refused where it enters, before any engine is asked.
    result = labkit("down", "-p", "-_-", env={"LABKIT_ENGINE": "nonsense"})
    assert result.returncode == 2
    assert result.stderr == (
        "error: invalid project name '-_-': use lowercase letters, digits, '_' and '-' (e.g. -p lab1)\n"
    )


def test_down_needs_a_target() -> None:
    result = labkit("down")
    assert result.returncode == 2
    assert result.stderr == "error: name the exercise, or the project with -p PROJECT\n"
