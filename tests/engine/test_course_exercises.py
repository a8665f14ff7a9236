"""Every exercise of the course, self-tested on each engine, with its processes run as student.

The self-test is the course's own proof (graded checks fail on a fresh stack, the reference
solution makes every check pass). While each stack is up, every process of every service must
run as the unprivileged `student`, unless the service declares `user:` (an exercise that needs
root says so), holding no capability beyond what the service declares (see user_capabilities);
what the student runs holds none, and the student's sudo reaches exactly what the service
declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.checks.project import renumber_if_clashing, with_labels
from toolkit.checks.selftest import self_test
from toolkit.runtime.podman.containers import DOCKER_DEFAULT_CAPS
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_safety import DOCKER_DEFAULT, NET_ADMIN, capability_set, granted_capabilities, mask
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
BASE = "debian:bookworm"
CAPABILITY_BITS = {**DOCKER_DEFAULT, "NET_ADMIN": NET_ADMIN}
EXERCISES = sorted(path.parent.name for path in (ROOT / "compose").glob("*/compose.yaml"))
# For every process of the container: its real and effective uid, its effective capabilities, its
# program's name. Read from /proc, so the reading process itself is listed too (as the exec user).
PROCESSES = r"""
for status in /proc/[0-9]*/status; do
  pid=${status#/proc/}; pid=${pid%/status}
  uids=$(awk '/^Uid:/ {print $2 "/" $3}' "$status" 2>/dev/null) || continue
  caps=$(awk '/^CapEff:/ {print $2}' "$status" 2>/dev/null)
  [ -n "$uids" ] && echo "$uids $caps $(cat /proc/$pid/comm 2>/dev/null)"
done
"""


@pytest.fixture(scope="session")
def course_images(runtime: Runtime) -> None:
    """The course images the exercises use, built on this engine once (offline Debian base)."""
    from toolkit.images import bootstrap_image, ensure_images, get_base, load_catalog

    if not runtime.image_exists(get_base(BASE).ref):
        bootstrap_image(runtime, BASE)
    ensure_images(runtime, load_catalog().names, BASE)


@pytest.fixture
def stacks_up(runtime: Runtime) -> Iterator[list[str]]:
    """Projects the test brings up; each goes down with its volumes, whatever happens."""
    projects: list[str] = []
    yield projects
    for project in projects:
        down(runtime, project, volumes=True)


def processes(runtime: Runtime, container: str) -> list[tuple[str, str, str]]:
    """(uids "real/effective", effective capabilities in hex, program name) of every process."""
    result = runtime.exec(container, ["sh", "-c", PROCESSES], timeout=30)
    assert result.exit_code == 0, result.stderr
    rows = [line.split(" ", 2) for line in result.stdout.splitlines() if line.strip()]
    return [(uids, caps, command.strip()) for uids, caps, command in rows]


def student_uid(runtime: Runtime, container: str) -> str:
    result = runtime.exec(container, ["id", "-u", "student"])
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def user_capabilities(runtime: Runtime, declared: set[str]) -> int:
    """The capabilities a service's own non-root processes may hold, as a bit mask.

    Docker: none. Podman gives the container's process every capability added to the container
    (ambient capabilities; labkit adds Docker's defaults that way too). Commands run through
    exec hold none on either engine; that is asserted apart.
    """
    if runtime.name == "docker":
        return 0
    return mask(*(CAPABILITY_BITS[name] for name in declared | set(DOCKER_DEFAULT_CAPS)))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise_passes_its_self_test_with_student_processes(
    runtime: Runtime,
    course_images: None,
    unique_name: str,
    test_labels: dict[str, str],
    stacks_up: list[str],
    exercise: str,
) -> None:
    stack = load_stack(ROOT / "compose" / exercise / "compose.yaml", environ={})
    seen: dict[str, list[tuple[str, str, str]]] = {}

    def up_and_look(rt: Runtime, st: Stack, project: str) -> Stack:
        stacks_up.append(project)
        running = with_labels(renumber_if_clashing(rt, st, project), test_labels)
        up(rt, running, project=project)
        for name, service in running.services.items():
            container = naming.container_name(project, name)
            if service.user is not None:
                continue  # the exercise asked for this user on purpose
            student = student_uid(rt, container)
            seen[name] = processes(rt, container)
            assert seen[name], f"{name}: no process listed"
            declared = {cap.upper().removeprefix("CAP_") for cap in service.cap_add}
            allowed = user_capabilities(rt, declared)
            for uids, caps, command in seen[name]:
                assert uids == f"{student}/{student}", f"{name}: {command!r} runs as uid {uids}"
                assert int(caps, 16) & ~allowed == 0, f"{name}: {command!r} has capabilities {caps}"
            # What the student runs (labkit exec, checks) holds nothing without sudo, on both engines.
            own = rt.exec(container, ["grep", "^CapEff:", "/proc/self/status"])
            assert capability_set("CapEff", own.stdout) == 0, f"{name}: a student's command has capabilities"
            sudo = rt.exec(container, ["sudo", "-n", "grep", "^CapEff:", "/proc/self/status"])
            assert sudo.exit_code == 0, f"{name}: sudo fails: {sudo.stderr}"
            granted = granted_capabilities(rt, container)
            assert capability_set("CapEff", sudo.stdout) == granted
            assert ("NET_ADMIN" in declared) == bool(granted & mask(NET_ADMIN)), name
        return running

    report = self_test(
        runtime,
        stack,
        up=up_and_look,
        down=lambda rt, st, project: down(rt, project, volumes=True),
        project=unique_name,
        exercise=exercise,
    )

    assert report.passed, [str(problem) for problem in report.problems]
    assert set(seen) == set(stack.services), "every service was looked at"
    assert leftovers(runtime, unique_name) == []
