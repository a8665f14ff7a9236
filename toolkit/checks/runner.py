"""Run an exercise's checks in its containers, all at once, each bounded by its own timeout."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future

from toolkit.checks.probe import PROBE_USER, ensure_probes, missing_probes, probe_key, probe_networks
from toolkit.checks.results import CheckResult, CheckRun, judge, not_run, timed_out
from toolkit.errors import EngineError, EngineUnavailable, ExecTimeout, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo
from toolkit.stack.model import Check, Stack
from toolkit.stack.naming import LABEL_SERVICE, stack_container_selector

# Checks are independent commands that mostly wait (on the network, on a daemon), so a few
# threads overlap them well; more would only queue at the engine's API.
MAX_PARALLEL = 8

CheckCallback = Callable[[CheckResult], None]


def service_containers(runtime: Runtime, project: str) -> dict[str, ContainerInfo]:
    """The running container of each service of a project, found by labkit's labels."""
    found: dict[str, ContainerInfo] = {}
    # Checks read no health: listing without it runs no healthcheck probe per container.
    for info in runtime.list_containers(stack_container_selector(project), all=False, health=False):
        service = info.labels.get(LABEL_SERVICE)
        if service and info.running:
            found[service] = info
    return found


def require_running(runtime: Runtime, project: str, exercise: str) -> dict[str, ContainerInfo]:
    """The project's running containers by service; UsageError when none runs.

    Raises:
        UsageError: nothing of the project runs, so checking it would only report failures.
    """
    containers = service_containers(runtime, project)
    if not containers:
        hint = f"labkit up {exercise}" + (f" -p {project}" if project != exercise else "")
        raise UsageError(
            f"exercise {exercise!r} is not up (no running container of project {project!r}): "
            f"run `{hint}` first"
        )
    return containers


def run_check(runtime: Runtime, check: Check, container: ContainerInfo | None) -> CheckResult:
    """Run one check in its service's container and judge the result.

    Engine failures other than a lost engine become a failed check, so one broken service
    does not hide the results of the others.
    """
    if container is None:
        return not_run(check, f"service {check.service!r} has no running container")
    started = time.monotonic()
    try:
        user = check.user or (PROBE_USER if check.probe is not None else None)
        result = runtime.exec(container.id, check.run, user=user, timeout=check.timeout)
    except ExecTimeout as exc:
        return timed_out(check, exc, time.monotonic() - started)
    except EngineUnavailable:
        raise
    except EngineError as exc:
        return not_run(check, str(exc), time.monotonic() - started)
    return judge(check, result)


def run_checks(
    runtime: Runtime,
    stack: Stack,
    project: str | None = None,
    *,
    checks: Sequence[Check] | None = None,
    exercise: str | None = None,
    containers: Mapping[str, ContainerInfo] | None = None,
    on_result: CheckCallback | None = None,
    max_parallel: int = MAX_PARALLEL,
) -> CheckRun:
    """Run every check of the stack's exercise (or `checks`) against a running project.

    Args:
        project: the project the stack runs as; the stack's own name by default.
        exercise: the exercise's name for reports and hints; the stack's name by default.
        containers: the project's containers by service, when the caller has them already.
        on_result: called with each result, in the file's order, as soon as it is known.

    Raises:
        UsageError: no container of the project runs.
    """
    project = project or stack.name
    exercise = exercise or stack.name
    selected = tuple(stack.exercise.checks if checks is None else checks)
    if containers is None:
        containers = require_running(runtime, project, exercise)
    started = time.monotonic()
    containers = _with_probes(runtime, stack, project, selected, containers)
    found: dict[int, CheckResult] = {}
    told = 0
    for wave in _waves(selected):
        ready: list[int] = []
        for index in wave:
            blocker = _failed_prerequisite(selected[index], selected, found)
            if blocker is None:
                ready.append(index)
            else:
                found[index] = not_run(selected[index], "", blocked_by=blocker)
        ran = _run_all(runtime, [selected[i] for i in ready], containers, max_parallel)
        for index, result in zip(ready, ran, strict=True):
            found[index] = result
        while told in found:  # in the file's order, as soon as every check above is known
            if on_result is not None:
                on_result(found[told])
            told += 1
    return CheckRun(
        exercise=exercise,
        project=project,
        results=tuple(found[index] for index in range(len(selected))),
        duration=time.monotonic() - started,
    )


def _with_probes(
    runtime: Runtime,
    stack: Stack,
    project: str,
    checks: Sequence[Check],
    containers: Mapping[str, ContainerInfo],
) -> Mapping[str, ContainerInfo]:
    """`containers`, plus the probe of each network one of `checks` probes from.

    Made before the first check starts, even for a check whose prerequisite may yet fail: a
    container joining a network while checks run can cost a check on Podman its name lookup
    (probe.py). Probe checks find it under their own service name, `probe-NETWORK`.
    """
    missing = missing_probes(probe_networks(checks), containers)
    if not missing:
        return containers
    probes = ensure_probes(runtime, stack, project, missing)
    return {**containers, **{probe_key(network): info for network, info in probes.items()}}


def _waves(checks: Sequence[Check]) -> list[list[int]]:
    """The checks' indexes grouped so that each runs after the checks it requires.

    A check's prerequisites are written above it (the loader makes sure), so one pass gives
    each its depth; checks of one depth run together. Without `requires` there is one wave.
    """
    depth: dict[str, int] = {}
    waves: list[list[int]] = []
    for index, check in enumerate(checks):
        level = 1 + max((depth.get(name, -1) for name in check.requires), default=-1)
        depth[check.name] = level
        while len(waves) <= level:
            waves.append([])
        waves[level].append(index)
    return waves


def _failed_prerequisite(
    check: Check, checks: Sequence[Check], found: Mapping[int, CheckResult]
) -> str | None:
    """The first prerequisite of `check` that did not pass, or None when all did."""
    by_name = {result.name: result for result in found.values()}
    for name in check.requires:
        result = by_name.get(name)
        if result is None and name not in {other.name for other in checks}:
            continue  # a prerequisite left out of this run (a hand-picked subset): not a blocker
        if result is None or not result.passed:
            return name
    return None


def _run_all(
    runtime: Runtime, checks: Sequence[Check], containers: Mapping[str, ContainerInfo], max_parallel: int
) -> Iterator[CheckResult]:
    """Run the checks on a few worker threads; yield the results in the checks' order.

    The workers are daemon threads, not an executor's: on Ctrl-C the caller stops waiting at
    once, the checks still queued never start, and a check still running (up to its own
    timeout) does not keep the interpreter from exiting, as an executor's threads would.
    """
    futures: list[Future[CheckResult]] = [Future() for _ in checks]
    queued: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(checks)):
        queued.put(index)

    def work() -> None:
        while True:
            try:
                index = queued.get_nowait()
            except queue.Empty:
                return
            future = futures[index]
            if not future.set_running_or_notify_cancel():
                continue  # cancelled: the caller is gone
            check = checks[index]
            try:
                future.set_result(run_check(runtime, check, containers.get(check.service)))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    # A pool, not one thread per check: a course may have dozens of checks per exercise.
    for _ in range(min(max(1, max_parallel), len(checks))):
        threading.Thread(target=work, name="labkit-check", daemon=True).start()
    try:
        for future in futures:  # in the file's order, whatever order they finish in
            yield future.result()
    finally:
        for future in futures:
            future.cancel()  # on Ctrl-C (or an engine gone), do not start the checks still queued
