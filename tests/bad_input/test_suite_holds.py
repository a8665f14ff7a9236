"""The bad-input suite cannot pass while `labkit validate` is broken (it used to skip)."""

from __future__ import annotations

from pathlib import Path

from tests.inner import run_pytest

# Loaded into the inner run with -p: points the CLI cases at a labkit that cannot start.
BREAK_THE_CLI = """
from pathlib import Path

def pytest_collection_finish(session):
    from tests.bad_input import test_bad_input
    test_bad_input.LABKIT = Path({broken!r})
"""


def test_a_broken_validate_fails_the_cli_cases(tmp_path: Path) -> None:
    broken = tmp_path / "labkit"
    broken.write_text("#!/bin/sh\necho 'ImportError: the CLI is broken' >&2\nexit 1\n")
    broken.chmod(0o755)
    (tmp_path / "break_the_cli.py").write_text(BREAK_THE_CLI.format(broken=str(broken)))
    result = run_pytest(
        ["--noconftest", "-p", "break_the_cli", "tests/bad_input/test_bad_input.py", "-k", "cli_validate"],
        env={"PYTHONPATH": str(tmp_path)},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"`{broken} validate --help` exits 1: ImportError: the CLI is broken" in output
    assert " skipped" not in output.splitlines()[-1], output
    assert " passed" not in output.splitlines()[-1], output
