"""Cleanup without Ryuk: a pytest run killed with SIGKILL leaves resources; gc, or the next
run, removes them; nothing else is touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerSpec, NetworkSpec
from toolkit.stack.gc import collect
from toolkit.stack.naming import LABEL_RUN

pytestmark = pytest.mark.engine

# A user's test file that starts a container and a stack, writes where it got, then blocks
# until it is killed.
BLOCKING_TEST = '''
import json, os, time
from pathlib import Path

COMPOSE = """
services:
  only:
    image: {image}
    command: ["sleep", "600"]
    networks: [lan]
networks:
  lan: {{}}
"""

def test_blocks(lab_container, lab_stack, lab_run, tmp_path):
    box = lab_container("{image}", command=["sleep", "600"])
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "compose.yaml").write_text(COMPOSE)
    lab = lab_stack(tmp_path / "stack")
    marker = Path({marker!r})
    marker.with_suffix(".tmp").write_text(json.dumps(
        {{"run": lab_run.run_id, "container": box.id, "project": lab.project, "pid": os.getpid()}}
    ))
    marker.with_suffix(".tmp").rename(marker)
    time.sleep(600)
'''

USES_AN_ENGINE = """
def test_uses_an_engine(lab_engine):
    assert lab_engine.info()
"""


def run_pytest(folder: Path, engine: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CI": ""}  # the inner run must not turn an absent engine into a failure
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--lab-engine",
            engine,
            "--rootdir",
            str(folder),
            *args,
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen[str], limit: float = 180.0) -> dict[str, object]:
    """The marker the blocking test writes once its resources exist."""
    deadline = time.monotonic() + limit
    while not path.exists():
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the inner pytest run ended early:\n{output}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the inner pytest run never got its resources up")
        time.sleep(0.1)
    return dict(json.loads(path.read_text()))


def run_labels(runtime: Runtime, run: str) -> list[str]:
    """Names of everything on the engine carrying this run label."""
    selector = {LABEL_RUN: run}
    return sorted(
        [c.name for c in runtime.list_containers(selector)]
        + [n.name for n in runtime.list_networks(selector)]
    )


def remove_run(runtime: Runtime, run: str) -> None:
    for container in runtime.list_containers({LABEL_RUN: run}):
        runtime.remove_container(container.id, force=True)
    for network in runtime.list_networks({LABEL_RUN: run}):
        runtime.remove_network(network.name)


@pytest.fixture
def killed_run(runtime: Runtime, busybox_image: str, tmp_path: Path) -> Iterator[dict[str, object]]:
    """A pytest run that created a container and a stack, then was killed with SIGKILL."""
    folder = tmp_path / "user"
    folder.mkdir()
    marker = tmp_path / "marker.json"
    (folder / "test_blocking.py").write_text(BLOCKING_TEST.format(image=busybox_image, marker=str(marker)))
    process = run_pytest(folder, runtime.name)
    try:
        found = wait_for(marker, process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        yield {**found, "folder": folder}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        # Whatever the test did, leave nothing behind.
        if marker.exists():
            remove_run(runtime, json.loads(marker.read_text())["run"])


def test_gc_removes_what_a_killed_run_left(runtime: Runtime, killed_run: dict[str, object]) -> None:
    run = str(killed_run["run"])
    left = run_labels(runtime, run)
    project = str(killed_run["project"])
    assert f"{project}-only" in left and f"{project}-lan" in left
    assert len([name for name in left if name.startswith("box-")]) == 1  # the lab_container

    dry = collect(runtime, dry_run=True)
    assert {r.name for r in dry.garbage} >= set(left)
    assert run_labels(runtime, run) == left  # a dry run removes nothing

    report = collect(runtime)
    assert {r.name for r in report.removed} >= set(left)
    assert run_labels(runtime, run) == []


def test_the_next_run_removes_what_a_killed_run_left(runtime: Runtime, killed_run: dict[str, object]) -> None:
    run = str(killed_run["run"])
    assert run_labels(runtime, run) != []
    folder = Path(str(killed_run["folder"]))
    (folder / "test_blocking.py").unlink()
    (folder / "test_next.py").write_text(USES_AN_ENGINE)
    process = run_pytest(folder, runtime.name)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    assert "removed" in output and "left by earlier runs that died" in output
    assert run_labels(runtime, run) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_cleans_up_itself(
    runtime: Runtime, busybox_image: str, tmp_path: Path, signum: int
) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    marker = tmp_path / "marker.json"
    (folder / "test_blocking.py").write_text(BLOCKING_TEST.format(image=busybox_image, marker=str(marker)))
    process = run_pytest(folder, runtime.name)
    run = ""
    try:
        run = str(wait_for(marker, process)["run"])
        assert run_labels(runtime, run) != []
        process.send_signal(signum)
        output, _ = process.communicate(timeout=120)
        assert "KeyboardInterrupt" in output
        assert run_labels(runtime, run) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        if run:
            remove_run(runtime, run)


def test_gc_leaves_foreign_live_and_labkit_up_resources_alone(
    runtime: Runtime, busybox_image: str, unique_name: str
) -> None:
    host = os.uname().nodename
    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = {
        "io.labkit.project": f"{unique_name}-live",
        "io.labkit.owner": f"{host}:{os.getpid()}",
        LABEL_RUN: "live-run",
    }
    up_stack = {"io.labkit.project": f"{unique_name}-up", "io.labkit.owner": f"{host}:{dead.pid}"}
    elsewhere = {
        "io.labkit.project": f"{unique_name}-far",
        "io.labkit.owner": f"elsewhere:{dead.pid}",
        LABEL_RUN: "far-run",
    }
    garbage = {
        "io.labkit.project": f"{unique_name}-dead",
        "io.labkit.owner": f"{host}:{dead.pid}",
        LABEL_RUN: "dead-run",
    }
    made: list[str] = []
    network = f"{unique_name}-dead-net"
    try:
        for suffix, labels in (
            ("foreign", {"purpose": "not labkit's"}),
            ("live", mine),
            ("up", up_stack),
            ("far", elsewhere),
            ("dead", garbage),
        ):
            name = f"{unique_name}-{suffix}"
            made.append(name)
            spec = ContainerSpec(busybox_image, name, command=("sleep", "60"), labels=labels)
            runtime.create_container(spec)
        runtime.create_network(NetworkSpec(network, labels=garbage))
        report = collect(runtime)
        ours = {r.name: r for r in report.found if r.name.startswith(unique_name)}
        assert sorted(r.name for r in report.removed if r.name.startswith(unique_name)) == [
            f"{unique_name}-dead",
            network,
        ]
        assert f"{unique_name}-foreign" not in ours  # not labkit's: not even listed
        assert ours[f"{unique_name}-live"].reason == f"owner process {os.getpid()} is alive"
        assert ours[f"{unique_name}-up"].reason.startswith("a stack from `labkit up`")
        assert ours[f"{unique_name}-far"].reason == "owned by host elsewhere"
        left = {c.name for c in runtime.list_containers({}) if c.name.startswith(unique_name)}
        assert left == {f"{unique_name}-{s}" for s in ("foreign", "live", "up", "far")}
    finally:
        for name in made:
            try:
                runtime.remove_container(name, force=True)
            except Exception:
                pass
        try:
            runtime.remove_network(network)
        except Exception:
            pass
