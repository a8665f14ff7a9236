"""Run pytest inside a test, on this repository's own tests, to prove how the suite ends.

The inner run gets the outer environment minus what would change its outcome (CI, engine
choices) plus what the test sets, and runs without the cache and the leftover guard's
conftest unless asked: it answers one question, quickly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_CLEARED = ("CI", "LABKIT_ENGINE", "CONTAINER_HOST", "DOCKER_HOST", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")


def run_pytest(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`python -m pytest ARGS` in `cwd`, its output captured; never raises on a failing run."""
    environ = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfEs", *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# Loaded into an inner run with -p: writes each collected test's fixtures, then runs none.
_FIXTURE_DUMP = """
import json

def pytest_collection_modifyitems(session, config, items):
    with open({out!r}, "w") as out:
        json.dump({{item.nodeid: list(item.fixturenames) for item in items}}, out)
    config.hook.pytest_deselected(items=list(items))
    items[:] = []
"""


def fixtures_of(args: Sequence[str], folder: Path) -> dict[str, list[str]]:
    """Collect `args` in an inner run: each test's id and the fixtures it uses (none run)."""
    out = folder / "fixtures.json"
    (folder / "dump_fixtures.py").write_text(_FIXTURE_DUMP.format(out=str(out)))
    result = run_pytest(["-p", "dump_fixtures", *args], env={"PYTHONPATH": str(folder)})
    assert out.is_file(), result.stdout + result.stderr
    found: dict[str, list[str]] = json.loads(out.read_text())
    return found
