"""Every bad exercise of the corpus is refused with one exact line, by the library and the CLI.

The CLI runs as a real subprocess (`labkit validate CASE-FOLDER`): exit code 2, exactly one
line on stderr, never a traceback. The alias bomb and the huge file are refused within a
bounded amount of memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.bad_input.corpus import Case, case_names, materialise
from toolkit.errors import ConfigError
from toolkit.stack.compose.loader import load_stack

NAMES = case_names()
LABKIT = Path(sys.executable).parent / "labkit"
MEMORY_LIMIT = 50 * 1024 * 1024


def _environ(workspace: Path) -> dict[str, str]:
    # Isolated: no variable of the machine running the tests may change an outcome.
    return {"PATH": "/usr/bin:/bin", "HOME": str(workspace / "home"), "LANG": "C.UTF-8"}


def test_the_corpus_is_large_enough() -> None:
    assert len(NAMES) >= 60


@pytest.mark.parametrize("name", NAMES)
def test_load_stack_refuses_with_the_expected_line(name: str, tmp_path: Path) -> None:
    case = materialise(name, tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_stack(case.compose_file, environ=_environ(tmp_path))
    assert str(caught.value) == case.expected()


@pytest.mark.parametrize("name", ["101-alias-bomb", "102-deep-nesting", "121-huge-file"])
def test_hostile_files_are_refused_in_bounded_memory(name: str, tmp_path: Path) -> None:
    case = materialise(name, tmp_path)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError):
            load_stack(case.compose_file, environ=_environ(tmp_path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"{name}: peak {peak / 1024 / 1024:.1f} MiB"


def _cli_works() -> None:
    """Fail (never skip) when the CLI under test cannot even show validate's help: a broken
    `labkit validate` must fail the suite, not excuse its cases."""
    try:
        result = subprocess.run(
            [str(LABKIT), "validate", "--help"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        pytest.fail(f"the CLI under test {LABKIT} cannot run: {exc}", pytrace=False)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["nothing"]
        pytest.fail(f"`{LABKIT} validate --help` exits {result.returncode}: {said[0]}", pytrace=False)


@pytest.fixture(scope="module")
def cli_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Case, subprocess.CompletedProcess[str]]]:
    """`labkit validate` over every case, a few at a time (each run starts a Python)."""
    _cli_works()
    workspace = tmp_path_factory.mktemp("bad-input-cli")
    env = {**_environ(workspace), "COLUMNS": "80", "NO_COLOR": "1"}

    def run(name: str) -> tuple[str, tuple[Case, subprocess.CompletedProcess[str]]]:
        case = materialise(name, workspace / "cases")
        result = subprocess.run(
            [str(LABKIT), "validate", str(case.folder)],
            capture_output=True,
            text=True,
            env=env,
            cwd=workspace,
            timeout=120,
            check=False,
        )
        return name, (case, result)

    with ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) * 2)) as pool:
        return dict(pool.map(run, NAMES))


# The first case's setup runs all of them (a Python process each): on a loaded machine that is
# minutes, more than the suite's per-test guard against hangs allows a single test.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", NAMES)
def test_cli_validate_prints_one_line_and_exits_2(
    name: str, cli_results: dict[str, tuple[Case, subprocess.CompletedProcess[str]]]
) -> None:
    case, result = cli_results[name]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines() == [f"error: {case.expected()}"]
    assert result.stdout == ""
    assert result.returncode == 2
