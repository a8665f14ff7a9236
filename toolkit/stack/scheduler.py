"""Start a stack's services as their dependencies allow, on a bounded thread pool.

Each service moves through phases: created, started, ready (healthy, or running when it has
no healthcheck) and, when another service waits for it to finish, completed. A service starts
once its container exists and every dependency has reached the phase its condition names
(service_started, service_healthy, service_completed_successfully). Work is submitted only when
it can proceed, so no pool thread ever blocks on another's work.

The first failure cancels every wait in flight (their sleeps wake at once) and is raised as
ServiceFailed; the caller cleans up. Ctrl-C does the same and re-raises KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import Enum

from toolkit.errors import EngineUnavailable, NameConflict, ToolkitError, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerState
from toolkit.stack import health
from toolkit.stack.model import Dependency
from toolkit.stack.outcomes import Action, ServiceStatus, StackEvent, StackEventCallback
from toolkit.stack.plan import Plan
from toolkit.stack.specs_from_model import ResolvedService

DEFAULT_WORKERS = 8
LOG_TAIL = 20
# How long a service without a healthcheck must have been started before `up` trusts that it
# runs: a command that fails at once (a bad option, a missing file) exits within milliseconds,
# yet both engines can report it running until then.
SETTLE = 0.5


class Phase(Enum):
    CREATED = "created"
    STARTED = "started"
    READY = "ready"
    COMPLETED = "completed"
    DESCRIBED = "described"  # inspected for the status table; nobody waits for it


_CONDITION_PHASE = {
    "service_started": Phase.STARTED,
    "service_healthy": Phase.READY,
    "service_completed_successfully": Phase.COMPLETED,
}


@dataclass(frozen=True)
class ServiceWork:
    """What to do with one service: `existing` is its current container, if any is kept."""

    resolved: ResolvedService
    action: Action
    existing: ContainerInfo | None = None


class ServiceFailed(Exception):
    """A service did not come up: what happened, its last probe output and log lines."""

    def __init__(self, service: str, what: str, probe_output: str = "", log_tail: tuple[str, ...] = ()):
        super().__init__(f"service {service} {what}")
        self.service = service
        self.what = what
        self.probe_output = probe_output
        self.log_tail = log_tail


class Scheduler:
    """One `up`'s run over its services. Use once: `run()` returns each service's status."""

    def __init__(
        self,
        runtime: Runtime,
        plan: Plan,
        work: Mapping[str, ServiceWork],
        *,
        timeout: float,
        wait_all: bool = True,
        on_event: StackEventCallback | None = None,
        workers: int = DEFAULT_WORKERS,
        created: list[str] | None = None,
    ) -> None:
        """`created` receives the id of each container created, as soon as it exists."""
        self._runtime = runtime
        self._created = created if created is not None else []
        self._plan = plan
        self._work = work
        self._timeout = timeout
        self._wait_all = wait_all
        self._emit = on_event or (lambda event: None)
        self._workers = workers
        self._cancel = threading.Event()
        self._pace = health.Pace(sleep=self._sleep, cancelled=self._cancel.is_set)
        self._deadline = 0.0
        self._reached: dict[str, set[Phase]] = {name: set() for name in work}
        self._infos: dict[str, ContainerInfo] = {}
        self._healthy: set[str] = set()  # labkit's own verdict, whatever the engine says yet
        self._started: set[str] = set()
        self._started_at: dict[str, float] = {}  # when start_container returned (pace.clock)
        self._futures: dict[Future[ContainerInfo | None], tuple[str, Phase]] = {}
        self._failure: BaseException | None = None

    def _sleep(self, seconds: float) -> None:
        self._cancel.wait(seconds)

    # ------------------------------------------------------------ the run
    def run(self) -> dict[str, ServiceStatus]:
        """Create, start and wait; raise ServiceFailed (or KeyboardInterrupt) on the first failure."""
        self._deadline = self._pace.clock() + self._timeout
        with ThreadPoolExecutor(self._workers, thread_name_prefix="labkit-up") as pool:
            self._pool = pool
            try:
                self._begin()
                self._loop()
            except BaseException as exc:
                self._failure = self._failure or exc
            if self._failure is not None:
                self._cancel.set()
                self._drain()
                raise self._failure
            self._finish()
        return {
            name: ServiceStatus.from_info(
                info, health="healthy" if name in self._healthy else None, action=self._work[name].action
            )
            for name, info in self._infos.items()
        }

    def _begin(self) -> None:
        for name, work in self._work.items():
            if work.action in ("created", "recreated"):
                self._submit(name, Phase.CREATED, self._create, name)
                continue
            self._reached[name].add(Phase.CREATED)
            existing = work.existing
            if work.action == "unchanged" and existing is not None:
                self._started.add(name)
                if existing.running:
                    self._on_phase(name, Phase.STARTED, None)
                else:  # a one-shot job that finished with 0: its work is done
                    self._reached[name].update(Phase)
                    self._infos[name] = existing
        self._start_ready()

    def _loop(self) -> None:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            for future in done:
                name, phase = self._futures.pop(future)
                self._on_phase(name, phase, future.result())
            self._start_ready()
        waiting = [name for name in self._work if name not in self._started]
        if waiting:  # cannot happen with a valid plan; never spin on it
            raise ServiceFailed(waiting[0], "never had its dependencies met")

    def _drain(self) -> None:
        """Let work in flight end (cancelled waits end at once); ignore what it raises."""
        while self._futures:
            try:
                done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                continue  # a second Ctrl-C: cleanup still needs the engine calls to finish
            for future in done:
                self._futures.pop(future)

    def _submit(self, name: str, phase: Phase, fn: Callable[[str], ContainerInfo | None], arg: str) -> None:
        self._futures[self._pool.submit(fn, arg)] = (name, phase)

    # ------------------------------------------------------------ transitions
    def _on_phase(self, name: str, phase: Phase, info: ContainerInfo | None) -> None:
        self._reached[name].add(phase)
        if info is not None and (phase is not Phase.DESCRIBED or name not in self._infos):
            self._infos[name] = info  # a later phase's inspection is the fresher one
        awaited = self._plan.awaited_conditions(name)
        if phase is Phase.STARTED:
            if self._work[name].action != "unchanged":
                self._emit(StackEvent("container-started", name))
            if "service_completed_successfully" in awaited:
                self._submit(name, Phase.COMPLETED, self._wait_completed, name)
            elif self._wait_all or "service_healthy" in awaited:
                self._submit(name, Phase.READY, self._wait_ready, name)
        elif phase is Phase.COMPLETED:
            self._reached[name].add(Phase.READY)
            self._emit(StackEvent("service-ready", name, "completed"))
        elif phase is Phase.READY:
            healthy = self._work[name].resolved.healthcheck is not None
            if healthy:
                self._healthy.add(name)
                # Addresses for the status table, found while dependents start rather than
                # before: inspected alongside the health probes, the container would be probed
                # twice at once, and the engine's time is the critical path.
                self._submit(name, Phase.DESCRIBED, self._inspect, name)
            self._emit(StackEvent("service-ready", name, "healthy" if healthy else "running"))

    def _met(self, dependency: Dependency) -> bool:
        return _CONDITION_PHASE[dependency.condition] in self._reached[dependency.service]

    def _start_ready(self) -> None:
        for step in self._plan.services:
            name = step.name
            if name in self._started or Phase.CREATED not in self._reached[name]:
                continue
            if all(self._met(d) for d in step.needs):
                self._started.add(name)
                self._submit(name, Phase.STARTED, self._start, name)

    # ------------------------------------------------------------ work, on pool threads
    def _container(self, name: str) -> str:
        return self._work[name].resolved.container.name

    def _create(self, name: str) -> None:
        spec = self._work[name].resolved.container
        try:
            self._created.append(self._runtime.create_container(spec))
        except NameConflict as exc:
            raise ServiceFailed(
                name,
                f"cannot be created: a container named {spec.name} exists and is not part of this "
                f"project; remove it or choose another project name with -p ({exc})",
            ) from exc
        except (EngineUnavailable, UsageError):
            raise  # no engine, or a setting this engine cannot honour: not this service's fault
        except ToolkitError as exc:
            raise ServiceFailed(name, f"could not be created: {exc}") from exc
        self._emit(StackEvent("container-created", name, spec.name))
        return None

    def _start(self, name: str) -> None:
        try:
            self._runtime.start_container(self._container(name))
        except EngineUnavailable:
            raise
        except ToolkitError as exc:
            raise ServiceFailed(name, f"could not start: {exc}", log_tail=self._log_tail(name)) from exc
        self._started_at[name] = self._pace.clock()
        return None

    def _wait_ready(self, name: str) -> ContainerInfo | None:
        container = self._container(name)
        healthcheck = self._work[name].resolved.healthcheck
        try:
            if healthcheck is None:
                return health.wait_running(self._runtime, container, deadline=self._deadline, pace=self._pace)
            health.wait_healthy(
                self._runtime,
                container,
                healthcheck,
                started_at=self._pace.clock(),
                deadline=self._deadline,
                pace=self._pace,
            )
        except health.GaveUp as exc:
            raise self._failed(name, exc.reason, exc.output) from None
        except health.WaitTimedOut as exc:
            what = "healthy" if healthcheck else "running"
            raise self._failed(
                name, f"was not {what} within {self._timeout:g} s ({exc.attempts} probes)", exc.output
            ) from None
        return None

    def _wait_completed(self, name: str) -> ContainerInfo:
        try:
            return health.wait_completed(
                self._runtime, self._container(name), deadline=self._deadline, pace=self._pace
            )
        except health.GaveUp as exc:
            raise self._failed(name, exc.reason, exc.output) from None
        except health.WaitTimedOut:
            raise self._failed(name, f"did not finish within {self._timeout:g} s") from None

    def _failed(self, name: str, what: str, output: str = "") -> ServiceFailed:
        return ServiceFailed(name, what, output.strip(), self._log_tail(name))

    def _log_tail(self, name: str) -> tuple[str, ...]:
        with contextlib.suppress(ToolkitError):
            return tuple(self._runtime.container_logs(self._container(name), tail=LOG_TAIL))
        return ()

    # ------------------------------------------------------------ the end
    def _finish(self) -> None:
        """Inspect services nobody waited for; catch services that exited after being seen."""
        settle = {
            name
            for name, work in self._work.items()
            if name in self._infos
            and self._wait_all
            and work.resolved.healthcheck is None
            and work.action != "unchanged"
            and self._infos[name].running
        }
        recheck = [name for name in self._work if name not in self._infos or name in settle]

        def look(name: str) -> ContainerInfo:
            if name in settle:  # seen running, but perhaps only just: look again once settled
                self._sleep(max(0.0, self._started_at.get(name, 0.0) + SETTLE - self._pace.clock()))
            return self._inspect(name)

        infos = dict(zip(recheck, self._pool.map(look, recheck), strict=True))
        for name, info in infos.items():
            if self._wait_all and info.state in (ContainerState.EXITED, ContainerState.DEAD):
                raise self._failed(name, f"exited with code {info.exit_code}")
            self._infos[name] = info

    def _inspect(self, name: str) -> ContainerInfo:
        return self._runtime.inspect_container(self._container(name))
