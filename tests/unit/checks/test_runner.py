"""Running checks: in their service's container, concurrently, with their timeout."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from toolkit.checks.runner import run_checks
from toolkit.errors import EngineError, EngineGone, UsageError
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check, Exercise, Stack

from .scripted import container, exec_calls, ok, scripted_engine, timeout


def stack(*checks: Check) -> Stack:
    return Stack(
        name="ex",
        file=Path("/course/compose/ex/compose.yaml"),
        services={},
        networks={},
        volumes={},
        exercise=Exercise(checks=checks),
    )


def sh(name: str, service: str, script: str, **more: object) -> Check:
    return Check(name=name, service=service, run=("/bin/sh", "-c", script), **more)


def test_each_check_runs_in_its_service_with_its_user_and_timeout() -> None:
    fake = scripted_engine([container("p", "a"), container("p", "b")], lambda service, argv: ok(service))
    run = run_checks(
        fake,
        stack(sh("one", "a", "x"), Check("two", "b", ("id",), user="nobody", timeout=3.0)),
        "p",
    )
    assert run.passed
    assert run.project == "p" and run.exercise == "ex"
    assert sorted(exec_calls(fake)) == [
        ("a", ("/bin/sh", "-c", "x"), None, 10.0),
        ("b", ("id",), "nobody", 3.0),
    ]


def test_results_keep_the_files_order() -> None:
    checks = [sh(f"c{i}", "a", str(i)) for i in range(6)]
    fake = scripted_engine([container("p", "a")], lambda service, argv: ok())
    run = run_checks(fake, stack(*checks), "p")
    assert [r.name for r in run.results] == [f"c{i}" for i in range(6)]


def test_checks_run_concurrently() -> None:
    # Every check waits for all the others: run one at a time, the barrier would break.
    barrier = threading.Barrier(4, timeout=30)

    def handler(service: str, argv: tuple[str, ...]) -> ExecResult:
        barrier.wait()
        return ok()

    fake = scripted_engine([container("p", "a")], handler)
    run = run_checks(fake, stack(*(sh(f"c{i}", "a", "x") for i in range(4))), "p")
    assert run.passed


def test_pool_is_bounded() -> None:
    active, peak = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def handler(service: str, argv: tuple[str, ...]) -> ExecResult:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if active == 2:
                release.set()
        release.wait(30)
        with lock:
            active -= 1
        return ok()

    fake = scripted_engine([container("p", "a")], handler)
    run_checks(fake, stack(*(sh(f"c{i}", "a", "x") for i in range(6))), "p", max_parallel=2)
    assert peak == 2


def test_failures_timeouts_and_missing_services_are_failed_results() -> None:
    def handler(service: str, argv: tuple[str, ...]) -> ExecResult:
        if argv[-1] == "slow":
            raise timeout(1.0)
        if argv[-1] == "refused":
            raise EngineError("the engine refused")
        return ok(code=1)

    fake = scripted_engine([container("p", "a"), container("p", "gone", running=False)], handler)
    run = run_checks(
        fake,
        stack(
            sh("fails", "a", "x"),
            sh("slow", "a", "slow", timeout=1.0),
            sh("refused", "a", "refused"),
            sh("nowhere", "gone", "x"),
        ),
        "p",
    )
    assert not run.passed
    assert [r.reason for r in run.failures] == [
        "exit code 1, expected 0",
        "timed out after 1s",
        "the engine refused",
        "service 'gone' has no running container",
    ]


def test_a_lost_engine_is_not_a_failed_check() -> None:
    def handler(service: str, argv: tuple[str, ...]) -> ExecResult:
        raise EngineGone("docker stopped answering")

    fake = scripted_engine([container("p", "a")], handler)
    with pytest.raises(EngineGone):
        run_checks(fake, stack(sh("c", "a", "x")), "p")


def test_a_project_that_is_not_up_is_a_usage_error() -> None:
    fake = scripted_engine([container("other", "a"), container("p", "a", running=False)], lambda s, a: ok())
    with pytest.raises(UsageError) as caught:
        run_checks(fake, stack(sh("c", "a", "x")), "p", exercise="ex")
    assert caught.value.exit_code == 2
    assert "run `labkit up ex -p p` first" in str(caught.value)
    with pytest.raises(UsageError, match="run `labkit up ex` first"):
        run_checks(fake, stack(sh("c", "a", "x")), "ex")


def test_on_result_sees_every_result() -> None:
    seen: list[str] = []
    fake = scripted_engine([container("p", "a")], lambda s, a: ok())
    both = stack(sh("x", "a", "1"), sh("y", "a", "2"))
    run_checks(fake, both, "p", on_result=lambda r: seen.append(r.name))
    assert seen == ["x", "y"]


def test_no_checks_is_an_empty_passing_run() -> None:
    fake = scripted_engine([container("p", "a")], lambda s, a: ok())
    run = run_checks(fake, stack(), "p")
    assert run.results == () and run.passed
