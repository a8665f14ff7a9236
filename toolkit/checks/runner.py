"""Run an exercise's checks in its containers, all at once, each bounded by its own timeout."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

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
    for info in runtime.list_containers(stack_container_selector(project), all=False):
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
        result = runtime.exec(container.id, check.run, user=check.user, timeout=check.timeout)
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
    results: list[CheckResult] = []
    if selected:
        # A pool, not one thread per check: a course may have dozens of checks per exercise.
        pool = ThreadPoolExecutor(
            max_workers=max(1, min(max_parallel, len(selected))), thread_name_prefix="labkit-check"
        )
        try:
            futures = [
                pool.submit(run_check, runtime, check, containers.get(check.service))
                for check in selected
            ]
            for future in futures:  # in the file's order, whatever order they finish in
                result = future.result()
                if on_result is not None:
                    on_result(result)
                results.append(result)
        finally:
            # On Ctrl-C, do not start the checks still queued.
            pool.shutdown(wait=True, cancel_futures=True)
    return CheckRun(
        exercise=exercise,
        project=project,
        results=tuple(results),
        duration=time.monotonic() - started,
    )
