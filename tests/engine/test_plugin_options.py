"""How a user's run chooses engines: --lab-engine, the lab_engines marker, LABKIT_ENGINE."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

USER_TESTS = """
import pytest

def test_default(lab_engine):
    pass

@pytest.mark.lab_engines("podman")
def test_podman_only(lab_engine):
    pass

def test_no_engine():
    pass
"""


def collect(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    (folder / "test_user.py").write_text(USER_TESTS)
    environ = {key: value for key, value in os.environ.items() if key not in ("LABKIT_ENGINE", "CI")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(folder),
            *args,
        ],
        cwd=folder,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ids(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return [line.split("::", 1)[1] for line in result.stdout.splitlines() if "::" in line]


def test_all_runs_each_test_on_every_engine_that_answers(tmp_path: Path) -> None:
    found = ids(collect(tmp_path, "--lab-engine", "all"))
    # Which engines answer is the inner run's to find out (a loaded engine may be slow to);
    # the unit tests pin "every engine that answers" down. Here: each test once per engine.
    engines = {test.split("[")[1].rstrip("]") for test in found if test.startswith("test_default[")}
    assert engines and engines <= {"docker", "podman"}
    assert sorted(found) == sorted(
        [
            *(f"test_default[{name}]" for name in engines),
            *(f"test_podman_only[{name}]" for name in engines),
            "test_no_engine",
        ]
    )


def test_the_marker_chooses_unless_the_option_does(tmp_path: Path) -> None:
    found = ids(collect(tmp_path, env={"LABKIT_ENGINE": "docker"}))
    assert sorted(found) == ["test_default[docker]", "test_no_engine", "test_podman_only[podman]"]
    found = ids(collect(tmp_path, "--lab-engine", "docker"))
    assert sorted(found) == ["test_default[docker]", "test_no_engine", "test_podman_only[docker]"]


def test_labkit_engine_sets_the_default(tmp_path: Path) -> None:
    assert "test_default[podman]" in ids(collect(tmp_path, env={"LABKIT_ENGINE": "podman"}))


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    result = collect(tmp_path, "--lab-engine", "rkt")
    assert result.returncode == 4  # pytest's usage error
    assert "unknown engine 'rkt' in --lab-engine: choose one of docker, podman" in result.stderr
