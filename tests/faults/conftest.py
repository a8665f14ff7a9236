"""Fault tests: labkit on real engines when things go wrong (crashes, hangs, signals, a lost engine).

Each test runs on Docker and on Podman (the engine fixtures of tests/engine are reused), through
the library or through a real `labkit` process, and proves that nothing labkit created is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import busybox_image, debian_base, runtime, test_labels, unique_name  # noqa: F401
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.operations import down

CLI = [sys.executable, "-c", "from toolkit.cli.app import main; main()"]
# How long a helper waits for something that normally takes a second or two; reaching it fails
# the test (it is a guard against hanging, not a measurement).
PATIENCE = 90.0


def labkit(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the `labkit` CLI to its end."""
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def start_labkit(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the `labkit` CLI in the background, its output captured."""
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def finish(process: subprocess.Popen[str], timeout: float = PATIENCE) -> tuple[int, str, str]:
    """Wait for a started `labkit` to end: (exit code, stdout, stderr). Kills it past `timeout`."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"labkit did not end within {timeout:g} s; it printed:\n{out}\n{err}")
    return process.returncode, out, err


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Press Ctrl-C: SIGINT to the process, then wait for it to end."""
    process.send_signal(signal.SIGINT)
    return finish(process)


def stop(process: subprocess.Popen[str]) -> None:
    """Make sure a started process is gone (for finally blocks)."""
    if process.poll() is None:
        process.kill()
    process.communicate()


def wait_until(
    what: str, condition: Callable[[], bool], process: subprocess.Popen[str] | None = None
) -> None:
    """Poll `condition` until it holds; fail if `process` ends first or PATIENCE passes."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"labkit ended (exit {process.returncode}) before {what}:\n{out}\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def assert_clean_exit(code: int, stderr: str, expected_code: int, *words: str) -> str:
    """The exit code, exactly one `error:` line (containing `words`) and no traceback; returns it."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert code == expected_code, stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def leftovers(engine: Runtime, project: str) -> list[str]:
    """Every container, network and volume carrying the project's label."""
    selector = naming.project_selector(project)
    return sorted(
        [f"container {c.name}" for c in engine.list_containers(selector)]
        + [f"network {n.name}" for n in engine.list_networks(selector)]
        + [f"volume {v.name}" for v in engine.list_volumes(selector)]
    )


def has_containers(engine: Runtime, project: str) -> Callable[[], bool]:
    """A condition for wait_until: the project has at least one container."""
    return lambda: bool(engine.list_containers(naming.project_selector(project)))


@pytest.fixture(name="project")
def project_fixture(runtime: Runtime, unique_name: str) -> Iterator[str]:  # noqa: F811
    """A project name whose resources are removed whatever the test does."""
    yield unique_name
    down(runtime, unique_name, volumes=True)


def write_compose(folder: Path, text: str) -> Path:
    """Write an exercise folder holding `compose.yaml`; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compose.yaml").write_text(text)
    return folder


def process_with(marker: str) -> bool:
    """Whether a process on this host has `marker` in its command line.

    Containers and build steps of both engines run here as host processes, so a unique word in
    a command tells whether that command still runs, whichever engine started it.
    """
    wanted = marker.encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted in (entry / "cmdline").read_bytes():
                    return True
            except OSError:
                continue  # ended while we looked
    return False
