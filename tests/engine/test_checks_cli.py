"""`labkit check`, `solve`, `test` and `gc` as a user runs them: a real `labkit` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerSpec
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.naming import LABEL_RUN
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

pytestmark = pytest.mark.engine

COMPOSE = """\
name: {name}
x-labkit:
  title: A flag and a greeting
  checks:
    - name: the flag is set
      service: web
      run: cat /tmp/flag
      expect_output: '^on$'
    - name: the greeting is there
      service: web
      run: cat /tmp/greeting 2>/dev/null || echo none
      expect_output: hello
    - name: web runs
      service: web
      run: "true"
      graded: false
  solution:
    - service: web
      run: echo on > /tmp/flag
    - service: web
      run: echo hello > /tmp/greeting
services:
  web:
    image: {image}
    command: ["sleep", "3600"]
"""

# A check that holds on a fresh stack proves nothing: the self-test must say so.
BROKEN = COMPOSE.replace("run: cat /tmp/flag", "run: echo on")


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def write(folder: Path, text: str, image: str, name: str = "checkcli") -> Path:
    folder.mkdir(parents=True)
    path = folder / "compose.yaml"
    path.write_text(text.format(image=image, name=name))
    return path


@pytest.fixture
def compose_file(tmp_path: Path, busybox_image: str) -> Path:
    return write(tmp_path / "checkcli", COMPOSE, busybox_image)


@pytest.fixture
def running(runtime: Runtime, compose_file: Path, unique_name: str) -> Iterator[str]:
    """The exercise up as project `unique_name`, down after the test."""
    try:
        up(runtime, load_stack(compose_file), project=unique_name)
        yield unique_name
    finally:
        down(runtime, unique_name)


def test_check_of_a_project_that_is_not_up_exits_2(
    runtime: Runtime, compose_file: Path, unique_name: str
) -> None:
    result = labkit("check", str(compose_file), "-p", unique_name, "-e", runtime.name)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: exercise '{compose_file}' is not up (no running container of project "
        f"'{unique_name}'): run `labkit up {compose_file} -p {unique_name}` first"
    )


def test_check_solve_check(runtime: Runtime, compose_file: Path, running: str, tmp_path: Path) -> None:
    target = (str(compose_file), "-p", running, "-e", runtime.name)

    before = labkit("check", *target)
    assert before.returncode == 1, before.stderr
    lines = before.stdout.splitlines()
    assert lines[0].split() == ["check", "service", "result", "time"]
    failed = lines[lines.index("FAIL the flag is set") :]
    assert failed[1:5] == [
        "  ran      cat /tmp/flag",
        "           (as the service's user, in service web)",
        "  expected exit 0 and stdout matching /^on$/",
        "  got      exit 1",
    ]
    assert "cat: can't open '/tmp/flag': No such file or directory" in before.stdout
    assert "output does not match" not in before.stdout  # the table says expected vs got
    assert lines[-1].startswith("1 passed, 2 failed, 0/2 points in ")
    assert lines[-1].endswith(f"({compose_file}, project {running}, {runtime.name})")

    as_json = json.loads(labkit("check", *target, "--json").stdout)
    assert (as_json["passed"], as_json["engine"]) == (False, runtime.name)
    assert [(c["name"], c["passed"], c["reason"]) for c in as_json["checks"]] == [
        ("the flag is set", False, "exit code 1, expected 0"),
        ("the greeting is there", False, "output does not match /hello/"),
        ("web runs", True, ""),
    ]

    solved = labkit("solve", *target)
    assert solved.returncode == 0, solved.stderr
    assert [line.split("  ")[0] for line in solved.stdout.splitlines()] == [
        "step 1/2 (web) $ echo on > /tmp/flag",
        "step 2/2 (web) $ echo hello > /tmp/greeting",
        "solution applied: 2 steps in " + solved.stdout.splitlines()[-1].rsplit(" ", 1)[1],
    ]

    junit = tmp_path / "reports" / "check.xml"
    after = labkit("check", *target, "--junit", str(junit))
    assert after.returncode == 0, after.stdout
    assert after.stdout.splitlines()[-1].startswith("3 passed, 0 failed, 2/2 points in ")
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "0")


def test_solve_stops_at_the_first_failing_step(
    runtime: Runtime, tmp_path: Path, busybox_image: str, unique_name: str
) -> None:
    text = COMPOSE.replace("run: echo on > /tmp/flag", "run: echo on > /no/such/dir/flag")
    path = write(tmp_path / "badsolve", text, busybox_image)
    try:
        up(runtime, load_stack(path), project=unique_name)
        result = labkit("solve", str(path), "-p", unique_name, "-e", runtime.name)
        assert result.returncode == 1
        lines = result.stdout.splitlines()
        assert lines[0].startswith("step 1/2 (web) $ echo on > /no/such/dir/flag  failed: exit code")
        assert "nonexistent directory" in lines[1] or "No such file" in lines[1]
        assert lines[-1] == "solution stopped at step 1 of 2"
        assert "step 2/2" not in result.stdout
    finally:
        down(runtime, unique_name)


def test_self_test_of_a_sound_and_a_broken_exercise(
    runtime: Runtime, tmp_path: Path, busybox_image: str, unique_name: str
) -> None:
    # Unique names: the self-test's projects are `<name>-selftest`.
    sound = write(tmp_path / "sound", COMPOSE, busybox_image, f"{unique_name}-a")
    broken = write(tmp_path / "broken", BROKEN, busybox_image, f"{unique_name}-b")
    junit = tmp_path / "selftest.xml"

    result = labkit("test", str(sound), str(broken), "-e", runtime.name, "--junit", str(junit))
    assert result.returncode == 1, result.stderr
    assert f"PASS {sound} on {runtime.name} in " in result.stdout
    assert f"FAIL {broken} on {runtime.name} in " in result.stdout
    problem = "graded check 'the flag is set' (web) passes before the solution: it proves nothing"
    assert problem in result.stdout
    assert result.stdout.splitlines()[-1] == "1 of 2 exercises pass their self-test"
    assert ": up" not in result.stdout and f"{sound}: up" in result.stderr  # progress: stderr
    root = ET.parse(junit).getroot()
    assert [suite.get("failures") for suite in root] == ["0", "1"]
    for name in (f"{unique_name}-a-selftest", f"{unique_name}-b-selftest"):
        assert runtime.list_containers({"io.labkit.project": name}) == []


def test_self_test_needs_exercises_or_all(runtime: Runtime) -> None:
    result = labkit("test", "-e", runtime.name)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: name the exercises to self-test, or pass --all"


def test_gc_lists_then_removes_a_dead_runs_container(
    runtime: Runtime, busybox_image: str, unique_name: str
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {
        "io.labkit.project": unique_name,
        "io.labkit.owner": f"{os.uname().nodename}:{dead.pid}",
        LABEL_RUN: unique_name,
    }
    runtime.create_container(ContainerSpec(busybox_image, unique_name, command=("true",), labels=labels))
    try:
        listed = labkit("gc", "--dry-run", "-e", runtime.name)
        assert listed.returncode == 0, listed.stderr
        row = next(line for line in listed.stdout.splitlines() if unique_name in line)
        assert row.split()[:4] == ["container", unique_name, unique_name, labels["io.labkit.owner"]]
        assert "would remove" in row and f"owner process {dead.pid} is gone" in row
        assert runtime.list_containers({"io.labkit.project": unique_name}) != []

        removed = json.loads(labkit("gc", "--json", "-e", runtime.name).stdout)
        assert [r["name"] for r in removed[0]["removed"] if r["project"] == unique_name] == [unique_name]
        assert runtime.list_containers({"io.labkit.project": unique_name}) == []
    finally:
        for container in runtime.list_containers({"io.labkit.project": unique_name}):
            runtime.remove_container(container.id, force=True)
