"""Waiting for services, done by labkit itself: one polling loop, fed by small probe functions.

Engines run healthchecks on their own schedule (Docker's first probe comes a full interval
after start; Podman without systemd never runs them), so labkit probes on demand: at once,
then backing off from 50 ms, doubling, capped at the healthcheck's interval (start_interval
inside the start period). A service ready in 50 ms is seen ready in about that time.

A probe returns what it waited for, raises NotReady (try again) or GaveUp (waiting cannot
help: the container exited, or it is unhealthy by the healthcheck's own rules). `poll` is the
only loop; it ends with the probe's value, GaveUp, WaitTimedOut or Cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type

from toolkit.errors import ContainerNotFound, EngineError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerState, HealthcheckSpec, HealthProbe

T = TypeVar("T")

FIRST_DELAY = 0.05
# Without a healthcheck there is no interval to honour: state changes are cheap to inspect.
STATE_POLL_CAP = 0.5
DEFAULT_RETRIES = 3  # what engines use for retries: 0


class NotReady(Exception):
    """Not yet: the probe will be tried again. `output` says why."""

    def __init__(self, output: str = "") -> None:
        super().__init__(output)
        self.output = output


class GaveUp(Exception):
    """Waiting longer cannot help: `reason` says why, `output` is the last probe's output."""

    def __init__(self, reason: str, output: str = "", exit_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output
        self.exit_code = exit_code


class WaitTimedOut(Exception):
    """The deadline passed while the probe still said NotReady."""

    def __init__(self, output: str, attempts: int) -> None:
        super().__init__(f"not ready after {attempts} probes")
        self.output = output
        self.attempts = attempts


class Cancelled(Exception):
    """Someone else asked the wait to stop (another service failed, or Ctrl-C)."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class Pace:
    """How the loop tells time and sleeps: real by default, injected in tests and by `up`."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    cancelled: Callable[[], bool] = field(default=_never)
    first_delay: float = FIRST_DELAY


def poll(
    probe: Callable[[], T],
    *,
    deadline: float,
    max_delay: Callable[[], float],
    pace: Pace = Pace(),
) -> T:
    """Call `probe` until it returns; back off between NotReady answers.

    Raises GaveUp from the probe, WaitTimedOut at `deadline` (on pace.clock), Cancelled when
    pace.cancelled() turns true.
    """

    def stop(state: RetryCallState) -> bool:
        return pace.cancelled() or pace.clock() >= deadline

    def wait(state: RetryCallState) -> float:
        backoff: float = pace.first_delay * 2.0 ** (state.attempt_number - 1)
        return max(0.0, min(backoff, max_delay(), deadline - pace.clock()))

    def before(state: RetryCallState) -> None:
        if state.attempt_number > 1 and pace.cancelled():
            raise Cancelled()  # woken from sleep by a cancel: no further probe

    retrying = Retrying(
        retry=retry_if_exception_type(NotReady),
        stop=stop,
        wait=wait,
        sleep=pace.sleep,
        before=before,
    )
    try:
        return retrying(probe)
    except RetryError as exc:
        if pace.cancelled():
            raise Cancelled() from None
        last = exc.last_attempt.exception()
        output = last.output if isinstance(last, NotReady) else ""
        raise WaitTimedOut(output, exc.last_attempt.attempt_number) from None


# ---------------------------------------------------------------- probes


def _exited(info: ContainerInfo) -> GaveUp:
    return GaveUp(f"exited with code {info.exit_code}", exit_code=info.exit_code)


def probe_running(runtime: Runtime, container: str, *, exit_ok: bool = False) -> Callable[[], ContainerInfo]:
    """Ready once the container runs (or, with exit_ok, has exited with code 0)."""

    def probe() -> ContainerInfo:
        info = _inspect(runtime, container)
        if info.running:
            return info
        if info.state in (ContainerState.EXITED, ContainerState.DEAD):
            if exit_ok and info.exit_code == 0:
                return info
            raise _exited(info)
        raise NotReady(f"container is {info.state.value}")

    return probe


def probe_completed(runtime: Runtime, container: str) -> Callable[[], ContainerInfo]:
    """Ready once the container has exited with code 0; GaveUp on any other exit code."""

    def probe() -> ContainerInfo:
        info = _inspect(runtime, container)
        if info.state in (ContainerState.EXITED, ContainerState.DEAD):
            if info.exit_code == 0:
                return info
            raise _exited(info)
        raise NotReady(f"still {info.state.value}")

    return probe


@dataclass
class HealthRules:
    """The healthcheck's own rules, applied to probes labkit runs more often than the engine.

    Failures inside start_period do not count; after it, the k-th failure counts only from
    start_period + k * interval on, so `retries` failures make a service unhealthy no sooner
    than the engine would have declared it.
    """

    healthcheck: HealthcheckSpec
    started_at: float
    failures: int = 0

    @property
    def retries(self) -> int:
        return self.healthcheck.retries if self.healthcheck.retries > 0 else DEFAULT_RETRIES

    def in_start_period(self, now: float) -> bool:
        return now - self.started_at < self.healthcheck.start_period

    def max_delay(self, now: float) -> float:
        hc = self.healthcheck
        return hc.start_interval if self.in_start_period(now) else hc.interval

    def failed(self, now: float, output: str) -> NotReady | GaveUp:
        """The verdict on a failed probe at `now`."""
        if not self.in_start_period(now):
            hc = self.healthcheck
            if now - self.started_at >= hc.start_period + (self.failures + 1) * hc.interval:
                self.failures += 1
            if self.failures >= self.retries:
                return GaveUp(f"unhealthy after {self.failures} failed healthchecks", output)
        return NotReady(output)


def probe_healthy(
    runtime: Runtime, container: str, rules: HealthRules, clock: Callable[[], float]
) -> Callable[[], HealthProbe]:
    """Ready once the container's healthcheck passes; GaveUp if it exits or turns unhealthy."""

    def probe() -> HealthProbe:
        try:
            result = runtime.run_healthcheck(container)
        except ContainerNotFound as exc:
            raise GaveUp(f"its container disappeared ({exc})") from exc
        except EngineError as exc:
            # Exec is refused when the container is not running: say whether it exited.
            info = _inspect(runtime, container)
            if info.state in (ContainerState.EXITED, ContainerState.DEAD):
                raise _exited(info) from exc
            raise NotReady(str(exc)) from exc
        if result.passed:
            return result
        raise rules.failed(clock(), result.output.strip())

    return probe


def _inspect(runtime: Runtime, container: str) -> ContainerInfo:
    try:
        return runtime.inspect_container(container)
    except ContainerNotFound as exc:
        raise GaveUp(f"its container disappeared ({exc})") from exc


# ---------------------------------------------------------------- waits


def wait_running(
    runtime: Runtime, container: str, *, deadline: float, pace: Pace = Pace(), exit_ok: bool = False
) -> ContainerInfo:
    """Wait until the container runs; see probe_running."""
    return poll(
        probe_running(runtime, container, exit_ok=exit_ok),
        deadline=deadline,
        max_delay=lambda: STATE_POLL_CAP,
        pace=pace,
    )


def wait_completed(
    runtime: Runtime, container: str, *, deadline: float, pace: Pace = Pace()
) -> ContainerInfo:
    """Wait until the container exits with code 0; see probe_completed."""
    return poll(
        probe_completed(runtime, container),
        deadline=deadline,
        max_delay=lambda: STATE_POLL_CAP,
        pace=pace,
    )


def wait_healthy(
    runtime: Runtime,
    container: str,
    healthcheck: HealthcheckSpec,
    *,
    started_at: float,
    deadline: float,
    pace: Pace = Pace(),
) -> HealthProbe:
    """Wait until the healthcheck passes; `started_at` (on pace.clock) starts the start period."""
    rules = HealthRules(healthcheck, started_at)
    return poll(
        probe_healthy(runtime, container, rules, pace.clock),
        deadline=deadline,
        max_delay=lambda: rules.max_delay(pace.clock()),
        pace=pace,
    )
