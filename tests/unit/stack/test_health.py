"""The one polling loop and the probes fed to it, on a fake clock and the in-memory engine."""

from __future__ import annotations

import pytest

from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import ContainerSpec, HealthcheckSpec, HealthProbe
from toolkit.stack.health import (
    Cancelled,
    GaveUp,
    HealthRules,
    NotReady,
    Pace,
    WaitTimedOut,
    poll,
    wait_completed,
    wait_healthy,
    wait_running,
)
from toolkit.stack.specs_from_model import effective_healthcheck


class FakeClock:
    """Time that moves only when the loop sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pace_of(clock: FakeClock, cancelled: bool = False) -> Pace:
    return Pace(clock=clock, sleep=clock.sleep, cancelled=lambda: cancelled)


def test_ready_at_once_means_no_sleep(clock: FakeClock) -> None:
    assert poll(lambda: "ok", deadline=10, max_delay=lambda: 1.0, pace=pace_of(clock)) == "ok"
    assert clock.sleeps == []


def test_backoff_doubles_from_50ms_and_is_capped(clock: FakeClock) -> None:
    calls = []

    def probe() -> str:
        calls.append(clock.now)
        if len(calls) < 7:
            raise NotReady("no")
        return "ok"

    poll(probe, deadline=100, max_delay=lambda: 0.5, pace=pace_of(clock))
    assert clock.sleeps == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]


def test_a_service_ready_after_50ms_is_seen_at_50ms(clock: FakeClock) -> None:
    def probe() -> float:
        if clock.now < 0.05:
            raise NotReady()
        return clock.now

    assert poll(probe, deadline=10, max_delay=lambda: 30.0, pace=pace_of(clock)) == pytest.approx(0.05)


def test_deadline_gives_last_output_and_attempts(clock: FakeClock) -> None:
    outputs = iter(f"try {n}" for n in range(1, 100))

    def probe() -> None:
        raise NotReady(next(outputs))

    with pytest.raises(WaitTimedOut) as caught:
        poll(probe, deadline=1.0, max_delay=lambda: 0.2, pace=pace_of(clock))
    assert clock.now == pytest.approx(1.0)  # the last sleep is cut to the deadline
    assert caught.value.output == f"try {caught.value.attempts}"
    assert caught.value.attempts == 8  # 0, .05, .15, .35, .55, .75, .95, 1.0


def test_gave_up_stops_at_once(clock: FakeClock) -> None:
    def probe() -> None:
        raise GaveUp("exited with code 3", exit_code=3)

    with pytest.raises(GaveUp, match="code 3"):
        poll(probe, deadline=10, max_delay=lambda: 1.0, pace=pace_of(clock))
    assert clock.sleeps == []


def test_cancel_ends_the_wait(clock: FakeClock) -> None:
    def probe() -> None:
        raise NotReady()

    with pytest.raises(Cancelled):
        poll(probe, deadline=10, max_delay=lambda: 1.0, pace=pace_of(clock, cancelled=True))


def test_keyboard_interrupt_from_a_probe_goes_through(clock: FakeClock) -> None:
    def probe() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        poll(probe, deadline=10, max_delay=lambda: 1.0, pace=pace_of(clock))


# ---------------------------------------------------------------- the healthcheck's own rules


def test_failures_in_the_start_period_do_not_count() -> None:
    rules = HealthRules(HealthcheckSpec(("CMD", "true"), interval=1, retries=1, start_period=5), 0.0)
    assert isinstance(rules.failed(4.9, "no"), NotReady)
    assert rules.failures == 0
    assert rules.max_delay(4.9) == 5.0  # start_interval inside the start period
    assert rules.max_delay(5.0) == 1.0


def test_unhealthy_no_sooner_than_the_engine_would_say() -> None:
    rules = HealthRules(HealthcheckSpec(("CMD", "true"), interval=1, retries=3), 0.0)
    verdicts = [type(rules.failed(t / 10, "no")).__name__ for t in range(0, 31)]
    assert verdicts[:30] == ["NotReady"] * 30
    assert verdicts[30] == "GaveUp"


def test_zero_retries_means_the_engine_default() -> None:
    assert HealthRules(HealthcheckSpec(("CMD", "true"), retries=0), 0.0).retries == 3


def test_effective_healthcheck() -> None:
    own = HealthcheckSpec(("CMD", "own"))
    image = HealthcheckSpec(("CMD-SHELL", "image"))
    assert effective_healthcheck(own, image) is own
    assert effective_healthcheck(None, image) is image
    assert effective_healthcheck(HealthcheckSpec(("NONE",)), image) is None
    assert effective_healthcheck(None, HealthcheckSpec(("NONE",))) is None
    assert effective_healthcheck(None, None) is None


# ---------------------------------------------------------------- probes on the fake engine

HC = HealthcheckSpec(("CMD", "true"), interval=1, timeout=1, retries=3)


@pytest.fixture
def engine() -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image("img")
    fake.create_container(ContainerSpec(image="img", name="web", healthcheck=HC))
    return fake


def test_healthy_on_the_third_probe(engine: FakeRuntime, clock: FakeClock) -> None:
    answers = iter(
        [HealthProbe(False, 1, "warming"), HealthProbe(False, 1, "warming"), HealthProbe(True, 0, "ok")]
    )
    engine.on_healthcheck = lambda name: next(answers)
    engine.start_container("web")
    probe = wait_healthy(engine, "web", HC, started_at=0.0, deadline=10, pace=pace_of(clock))
    assert probe.output == "ok"
    assert clock.sleeps == [0.05, 0.1]
    assert engine.inspect_container("web").health == "healthy"


def test_never_healthy_gives_up_with_the_last_output(engine: FakeRuntime, clock: FakeClock) -> None:
    engine.on_healthcheck = lambda name: HealthProbe(False, 1, f"refused at {clock.now:.2f}\n")
    engine.start_container("web")
    with pytest.raises(GaveUp) as caught:
        wait_healthy(engine, "web", HC, started_at=0.0, deadline=60, pace=pace_of(clock))
    assert caught.value.reason == "unhealthy after 3 failed healthchecks"
    assert caught.value.output == f"refused at {clock.now:.2f}"
    assert clock.now >= 3.0


def test_a_container_that_exits_gives_up_with_its_exit_code(engine: FakeRuntime, clock: FakeClock) -> None:
    engine.start_container("web")

    def crash(name: str) -> HealthProbe:
        engine.exit_container(name, 3)
        return HealthProbe(False, 1, "going down")

    engine.on_healthcheck = crash
    with pytest.raises(GaveUp) as caught:
        wait_healthy(engine, "web", HC, started_at=0.0, deadline=60, pace=pace_of(clock))
    assert caught.value.exit_code == 3
    assert caught.value.reason == "exited with code 3"


def test_wait_running(engine: FakeRuntime, clock: FakeClock) -> None:
    engine.start_container("web")
    assert wait_running(engine, "web", deadline=1, pace=pace_of(clock)).running
    engine.exit_container("web", 0)
    with pytest.raises(GaveUp, match="exited with code 0"):
        wait_running(engine, "web", deadline=1, pace=pace_of(clock))
    assert wait_running(engine, "web", deadline=1, pace=pace_of(clock), exit_ok=True).exit_code == 0


def test_wait_running_times_out_on_a_created_container(engine: FakeRuntime, clock: FakeClock) -> None:
    with pytest.raises(WaitTimedOut) as caught:
        wait_running(engine, "web", deadline=2, pace=pace_of(clock))
    assert caught.value.output == "container is created"


def test_wait_completed(engine: FakeRuntime, clock: FakeClock) -> None:
    engine.start_container("web")
    with pytest.raises(WaitTimedOut, match="not ready"):
        wait_completed(engine, "web", deadline=1, pace=pace_of(clock))
    engine.exit_container("web", 0)
    assert wait_completed(engine, "web", deadline=clock.now + 1, pace=pace_of(clock)).exit_code == 0
    engine.start_container("web")
    engine.exit_container("web", 2)
    with pytest.raises(GaveUp, match="code 2"):
        wait_completed(engine, "web", deadline=clock.now + 1, pace=pace_of(clock))


def test_a_removed_container_gives_up(engine: FakeRuntime, clock: FakeClock) -> None:
    engine.remove_container("web")
    with pytest.raises(GaveUp, match="disappeared"):
        wait_running(engine, "web", deadline=1, pace=pace_of(clock))
    with pytest.raises(GaveUp, match="disappeared"):
        wait_healthy(engine, "web", HC, started_at=0.0, deadline=1, pace=pace_of(clock))
