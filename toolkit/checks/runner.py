"""Run an exercise's checks in a project's containers on an engine.

The rules (prerequisites, order, concurrency, judging) are `schedule.py`'s, shared with the
cluster's runner (`kube/`); this module finds the containers and makes the probes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from toolkit.checks.probe import PROBE_USER, ensure_probes, missing_probes, probe_key, probe_networks
from toolkit.checks.results import CheckResult, CheckRun, not_run
from toolkit.checks.schedule import MAX_PARALLEL, CheckCallback, run_judged, schedule
from toolkit.errors import UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo
from toolkit.stack.model import Check, Stack
from toolkit.stack.naming import LABEL_SERVICE, stack_container_selector


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


class EngineTarget:
    """A project's containers on an engine, where the schedule runs checks; probes made as needed."""

    def __init__(
        self, runtime: Runtime, stack: Stack, project: str, containers: Mapping[str, ContainerInfo]
    ) -> None:
        self._runtime = runtime
        self._stack = stack
        self._project = project
        self._containers = dict(containers)

    def prepare(self, checks: Sequence[Check]) -> None:
        """Add the probe of each network one of `checks` probes from (none when all are there).

        Probe checks find it under their own service name, `probe-NETWORK`.
        """
        missing = missing_probes(probe_networks(checks), self._containers)
        if missing:
            probes = ensure_probes(self._runtime, self._stack, self._project, missing)
            self._containers.update({probe_key(network): info for network, info in probes.items()})

    def run(self, check: Check) -> CheckResult:
        """Run one check in its service's container (or its probe) and judge the result."""
        return run_check(self._runtime, check, self._containers.get(check.service))


def run_check(runtime: Runtime, check: Check, container: ContainerInfo | None) -> CheckResult:
    """Run one check in its service's container and judge the result."""
    if container is None:
        return not_run(check, f"service {check.service!r} has no running container")
    user = check.user or (PROBE_USER if check.probe is not None else None)
    return run_judged(check, lambda: runtime.exec(container.id, check.run, user=user, timeout=check.timeout))


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
    target = EngineTarget(runtime, stack, project, containers)
    # Every probe before the first check, even one a failed prerequisite may leave unused: a
    # container joining a network while checks run can cost a check its name lookup on Podman
    # (probe.py). The schedule's own prepare then finds them all there.
    target.prepare(selected)
    results = schedule(target, selected, on_result=on_result, max_parallel=max_parallel)
    return CheckRun(exercise, project, results, time.monotonic() - started)
