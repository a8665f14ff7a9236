"""A whole class at once: every student's variant up, checked, and down, from one process.

Students are independent, so they run side by side on a few threads (`parallel`): bringing
thirty stacks up one after another would take minutes, and all at once would only queue at
the engine's API. Checking lists the engine's containers (probes included) and networks once
for the whole class, not once per student, so a class check costs about the checks' own
commands. `class up` makes the probes the checks run from; a class check never starts a
container while checks run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from toolkit.checks.probe import ensure_probes, listed_probe, missing_probes, probe_key, probe_networks
from toolkit.checks.project import stack_as_running
from toolkit.checks.results import CheckRun
from toolkit.checks.runner import run_checks
from toolkit.classroom.gradebook import Gradebook, StudentGrade
from toolkit.classroom.roster import Student
from toolkit.errors import EngineUnavailable, Interrupted, ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo
from toolkit.stack import naming
from toolkit.stack.model import Check, Stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import Checked, preflight, up_checked
from toolkit.stack.placement import Renumbering, project_subnets
from toolkit.stack.renumber import apply_renumbering, recover_mapping
from toolkit.stack.variants import student_project

# Students brought up or checked at once. Each `up` already overlaps its own services, and each
# check run its own checks: a few students at a time keep the engine busy without a queue.
UP_PARALLEL = 4
CHECK_PARALLEL = 10
CHECKS_PER_STUDENT = 4

StudentLoader = Callable[[Student], Stack]  # the student's variant, named as their project
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class StudentOutcome:
    """What `class up` or `class down` did for one student."""

    student: Student
    project: str
    ok: bool
    error: str = ""
    seconds: float = 0.0


Progress = Callable[[StudentOutcome], None]


def class_up(
    runtime: Runtime,
    students: Sequence[Student],
    load: StudentLoader,
    *,
    renumbering: Renumbering,
    timeout: float,
    parallel: int = UP_PARALLEL,
    on_done: Progress | None = None,
) -> tuple[StudentOutcome, ...]:
    """Bring every student's variant up, renumbered into free subnets; a student whose stack
    fails is reported (with the reason) and the others go on.

    Every variant is loaded and checked before any engine work, so a bad file stops the class
    before anything is created. On Ctrl-C, what this call brought up is taken down again.

    Raises:
        ConfigError, UsageError: an exercise or a student id is wrong (nothing was created).
        Interrupted: Ctrl-C, after removing what was created.
    """
    checked: list[tuple[Student, Checked]] = []
    for student in students:
        stack = load(student)
        checked.append((student, preflight(stack, project=stack.name)))

    def one(student: Student, plan: Checked) -> StudentOutcome:
        started = time.monotonic()
        project = plan.project
        try:
            up_checked(runtime, plan, timeout=timeout, renumbering=renumbering)
            _make_probes(runtime, plan.stack, project)
        except (EngineUnavailable, Interrupted):
            raise
        except ToolkitError as exc:
            return StudentOutcome(student, project, False, str(exc), time.monotonic() - started)
        return StudentOutcome(student, project, True, seconds=time.monotonic() - started)

    try:
        return _each(checked, one, parallel, on_done)
    except KeyboardInterrupt:
        for _, plan in checked:
            _quietly_down(runtime, plan.project)
        raise Interrupted(
            "interrupted: the students' stacks this class up had started were removed"
        ) from None


def class_down(
    runtime: Runtime,
    projects: Mapping[Student, str],
    *,
    parallel: int = UP_PARALLEL,
    on_done: Progress | None = None,
) -> tuple[StudentOutcome, ...]:
    """Remove every student's project (containers, probe, networks, volumes)."""

    def one(student: Student, project: str) -> StudentOutcome:
        started = time.monotonic()
        try:
            down(runtime, project, volumes=True)
        except EngineUnavailable:
            raise
        except ToolkitError as exc:
            return StudentOutcome(student, project, False, str(exc), time.monotonic() - started)
        return StudentOutcome(student, project, True, seconds=time.monotonic() - started)

    return _each(list(projects.items()), one, parallel, on_done)


def class_check(
    runtime: Runtime,
    students: Sequence[Student],
    load: StudentLoader,
    *,
    exercise: str,
    checks: Sequence[Check],
    parallel: int = CHECK_PARALLEL,
) -> Gradebook:
    """Run every student's checks against their running stack; grade the class.

    `exercise` is the exercise's name (students' projects are named after it), `checks` its
    checks as the file declares them (the gradebook's columns). A student with no running
    container is graded "not up", not an error of the run. Probes missing anywhere (`class
    up` makes them) are all made before the first check starts: on Podman, a container joining
    a network while others' checks run can cost those checks their name lookups (probe.py).
    """
    started = time.monotonic()
    # Checks read no health: listing without it runs no healthcheck probe per container.
    listed = runtime.list_containers({naming.LABEL_PROJECT: None}, all=False, health=False)
    services, probes = _by_project(listed)
    networks = runtime.list_networks({naming.LABEL_PROJECT: None})
    wanted = probe_networks(checks)
    projects = {student: student_project(exercise, student.id) for student in students}
    ready: dict[str, Stack | ToolkitError] = {}  # the stacks loaded while making probes

    def as_running(student: Student) -> Stack:
        stack = load(student)  # on the worker: students' loads overlap their checks
        return apply_renumbering(stack, recover_mapping(stack, project_subnets(networks, stack.name)))

    def add_probes(student: Student, project: str) -> None:
        try:
            stack = as_running(student)
            missing = missing_probes(wanted, probes.setdefault(project, {}))
            made = ensure_probes(runtime, stack, project, missing)
        except (EngineUnavailable, Interrupted):
            raise
        except ToolkitError as exc:
            ready[project] = exc
            return
        probes[project].update({probe_key(network): info for network, info in made.items()})
        ready[project] = stack

    lacking = [
        (student, project)
        for student, project in projects.items()
        if project in services and missing_probes(wanted, probes.get(project, {}))
    ]
    _each(lacking, add_probes, parallel, None)

    def one(student: Student, project: str) -> StudentGrade:
        running = services.get(project)
        if not running:
            return StudentGrade(student, project, "not up")
        try:
            stack = ready.get(project) or as_running(student)
            if isinstance(stack, ToolkitError):
                raise stack  # making its probe failed: graded as an error, as a check run's would be
            run: CheckRun = run_checks(
                runtime,
                stack,
                project,
                exercise=exercise,
                containers={**running, **probes.get(project, {})},
                max_parallel=CHECKS_PER_STUDENT,
            )
        except (EngineUnavailable, Interrupted):
            raise
        except ToolkitError as exc:
            return StudentGrade(student, project, "error", error=str(exc))
        return StudentGrade(student, project, "graded", run)

    grades = _each(list(projects.items()), one, parallel, None)
    return Gradebook(exercise, runtime.name, tuple(checks), grades, time.monotonic() - started)


Containers = dict[str, dict[str, ContainerInfo]]  # project -> name -> container


def _by_project(listed: Iterable[ContainerInfo]) -> tuple[Containers, Containers]:
    """The running containers of each project: its services' by service name, and its
    probes by the name probe checks know them under (`probe-NETWORK`)."""
    services: Containers = {}
    probes: Containers = {}
    for info in listed:
        project = info.labels.get(naming.LABEL_PROJECT)
        service = info.labels.get(naming.LABEL_SERVICE)
        network = listed_probe(info)
        if project and service and info.running:
            services.setdefault(project, {})[service] = info
        elif project and network:
            probes.setdefault(project, {})[probe_key(network)] = info
    return services, probes


def _each(
    work: Sequence[tuple[Student, T]],
    do: Callable[[Student, T], R],
    parallel: int,
    on_done: Callable[[R], None] | None,
) -> tuple[R, ...]:
    """Run `do` for each (student, item), `parallel` at a time; results in the roster's order."""
    if not work:
        return ()
    with ThreadPoolExecutor(max(1, min(parallel, len(work))), thread_name_prefix="labkit-class") as pool:
        futures: list[Future[R]] = [pool.submit(do, student, item) for student, item in work]
        try:
            if on_done is not None:
                for future in _as_done(futures):
                    on_done(future.result())
            return tuple(future.result() for future in futures)
        except BaseException:
            for future in futures:
                future.cancel()  # those not started never start; running ones finish
            raise


def _as_done(futures: list[Future[R]]) -> Iterable[Future[R]]:
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when="FIRST_COMPLETED")
        yield from done


def _make_probes(runtime: Runtime, stack: Stack, project: str) -> None:
    """The probes the exercise's checks run from, made with the stack rather than by the first
    class check that needs them: that check would be slower by 30 container starts, and the
    starts would disturb the other students' checks running meanwhile (probe.py)."""
    wanted = probe_networks(stack.exercise.checks)
    if wanted:
        ensure_probes(runtime, stack_as_running(runtime, stack, project), project, wanted)


def _quietly_down(runtime: Runtime, project: str) -> None:
    try:
        down(runtime, project, volumes=True)
    except ToolkitError:
        pass  # best effort on the way out; `labkit class down` finishes the job
