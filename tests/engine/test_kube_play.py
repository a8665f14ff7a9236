"""The exported manifests played by Podman (`podman kube play`), each course exercise self-tested.

Podman is the runtime here that reads Kubernetes YAML; labkit passes the networks and static
addresses as flags, orders the pods by `depends_on` and runs their readiness probes. Each
exercise must pass `labkit test`'s rules on the played pods: graded checks fail before the
solution, every check passes after it. The checks run by the path `check --kube` takes on a
cluster (`checks/kube/`): pods found by their labels, commands as the pod's own user (sudo for
another), prerequisites as on an engine, and probe checks from a probe pod attached to its
network through the Multus annotation. Nothing may be left after `podman kube down`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.checks.kube import run_checks_in_pods
from toolkit.checks.kube.played import PlayedPods
from toolkit.checks.probe import LABEL_PROBE
from toolkit.checks.project import renumber_if_clashing
from toolkit.checks.results import CheckRun
from toolkit.checks.selftest import self_test
from toolkit.errors import EngineUnavailable
from toolkit.export.kube import export_stack
from toolkit.export.kube.play import Played, container_name, play_export, unplay
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine
from toolkit.stack import naming
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Stack

pytestmark = pytest.mark.engine

COURSE = Path(__file__).resolve().parents[2] / "compose"
EXERCISES = sorted(p.name for p in COURSE.iterdir() if (p / "compose.yaml").is_file())


@pytest.fixture(scope="module")
def podman() -> Iterator[Runtime]:
    try:
        engine = connect(resolve_engine("podman", start_podman=lambda: None))
        engine.info()
    except (EngineUnavailable, ImportError) as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"podman is required in CI and does not answer: {exc}")
        pytest.skip(f"podman does not answer: {exc}")
    yield engine
    engine.close()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_exercise_plays_and_passes_its_self_test(podman: Runtime, exercise: str) -> None:
    project = f"lkplay{os.getpid()}-{exercise}"
    plays: list[Played] = []
    started: dict[str, str] = {}

    def up(runtime: Runtime, stack: Stack, name: str) -> Stack:
        placed = renumber_if_clashing(runtime, replace(stack, name=name), name)
        plays.append(play_export(runtime, placed, export_stack(placed)))
        for service in placed.services:
            started[service] = runtime.inspect_container(container_name(name, service)).started_at
        return placed

    def down(runtime: Runtime, stack: Stack, name: str) -> None:
        unplay(runtime, plays.pop())

    probes: list[set[str]] = []  # the probe pods' containers after each check run

    def check(runtime: Runtime, stack: Stack, name: str, exercise: str) -> CheckRun:
        run = run_checks_in_pods(stack, PlayedPods(runtime, plays[-1]), exercise=exercise)
        listed = runtime.list_containers({naming.LABEL_PROJECT: name, LABEL_PROBE: None}, all=True)
        probes.append({info.id for info in listed})
        return run

    stack = load_stack(COURSE / exercise / "compose.yaml", environ={})
    report = self_test(podman, stack, up=up, down=down, project=project, check=check)
    assert report.passed, [str(problem) for problem in report.problems]
    assert report.before is not None and report.after is not None and report.after.passed
    # Before the solution, a check whose prerequisite failed was not run and names it.
    before = {result.name: result for result in report.before.results}
    for declared in stack.exercise.checks:
        failed = [name for name in declared.requires if not before[name].passed]
        assert before[declared.name].blocked_by == (failed[0] if failed else ""), declared.name
    # Probe checks ran from one probe pod per network, made when first needed and reused.
    networks = {c.probe for c in stack.exercise.checks if c.probe is not None}
    assert len(probes[-1]) == len(networks)
    assert probes[0] <= probes[-1]
    for name, service in stack.services.items():  # each pod started after what it depends on
        for dependency in service.depends_on:
            assert started[dependency.service] < started[name], (name, dependency.service)
    left = podman.list_containers(naming.project_selector(project), all=True)
    assert not left, [c.name for c in left]
    assert not podman.list_networks(naming.project_selector(project))
    pods = subprocess.run(
        ["podman", "pod", "ps", "-q", "--filter", f"name={project}"], capture_output=True, text=True
    )
    assert pods.stdout.strip() == ""
