"""How a user's run chooses engines: --lab-engine, the lab_engines marker, LABKIT_ENGINE."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inner import run_pytest

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


# Loaded into an inner run with -p: the machine's own Podman socket is not where labkit looks,
# so with CONTAINER_HOST pointing nowhere no Podman answers (the shared service keeps running).
HIDE_PODMAN = """
from toolkit.runtime import select
select.PODMAN_ROOTFUL = {nowhere!r}
"""


def collect(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Collect a user's tests in an inner run; CI is left out unless `env` sets it."""
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


def podman_nowhere(folder: Path) -> dict[str, str]:
    """The environment of an inner run in which no Podman answers."""
    nowhere = folder / "no-podman.sock"
    (folder / "hide_podman.py").write_text(HIDE_PODMAN.format(nowhere=str(nowhere)))
    return {"CONTAINER_HOST": f"unix://{nowhere}", "XDG_RUNTIME_DIR": "", "PYTHONPATH": str(folder)}


def test_under_ci_all_collects_both_engines_even_one_that_does_not_answer(tmp_path: Path) -> None:
    hidden = podman_nowhere(tmp_path)
    found = ids(collect(tmp_path, "-p", "hide_podman", "--lab-engine", "all", env={**hidden, "CI": "true"}))
    assert sorted(found) == [
        "test_default[docker]",
        "test_default[podman]",
        "test_no_engine",
        "test_podman_only[docker]",
        "test_podman_only[podman]",
    ]
    # Locally `all` is every engine that answers: here Docker alone.
    found = ids(collect(tmp_path, "-p", "hide_podman", "--lab-engine", "all", env=hidden))
    assert sorted(found) == ["test_default[docker]", "test_no_engine", "test_podman_only[docker]"]


def test_a_ci_run_of_the_plugin_fixtures_fails_without_podman(tmp_path: Path) -> None:
    hidden = podman_nowhere(tmp_path)
    args = ["--noconftest", "-p", "hide_podman", "tests/engine/test_plugin_fixtures.py", "-k", "runs_labels"]
    result = run_pytest(args, env={**hidden, "CI": "true"})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "podman does not answer" in output and "CI=true: every engine asked for must answer" in output
    assert re.match(r"1 passed, \d+ deselected, 1 error in ", output.splitlines()[-1]), output
    # Without CI the same run tests Docker and says nothing of Podman: locally that is fine.
    result = run_pytest(args, env=hidden)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.match(r"1 passed, \d+ deselected in ", output.splitlines()[-1]), output
