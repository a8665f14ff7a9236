"""Checks, solutions and the self-test on real containers, on Docker and on Podman.

The "stack" here is made by hand (busybox containers labelled as a stack's are), so these
tests exercise the checks layer alone; the Compose path is in test_checks_selftest.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from toolkit.checks import apply_solution, run_checks, self_test
from toolkit.errors import ContainerNotFound, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerSpec
from toolkit.stack.model import Check, Exercise, SolutionStep, Stack

pytestmark = pytest.mark.engine

SERVICES = ("alpha", "beta")


def sh(script: str) -> tuple[str, ...]:
    return ("/bin/sh", "-c", script)


def make_stack(checks: tuple[Check, ...] = (), solution: tuple[SolutionStep, ...] = ()) -> Stack:
    return Stack(
        name="handmade",
        file=Path("/nowhere/handmade/compose.yaml"),
        services={},
        networks={},
        volumes={},
        exercise=Exercise(checks=checks, solution=solution),
    )


class HandStack:
    """Busybox containers labelled like a stack's: `up` starts them, `down` removes them."""

    def __init__(self, runtime: Runtime, image: str, labels: Mapping[str, str]) -> None:
        self.runtime = runtime
        self.image = image
        self.labels = dict(labels)

    def up(self, runtime: Runtime, stack: Stack, project: str) -> Stack:
        for service in SERVICES:
            spec = ContainerSpec(
                image=self.image,
                name=f"{project}-{service}",
                command=("sleep", "3600"),
                labels={**self.labels, "io.labkit.project": project, "io.labkit.service": service},
            )
            runtime.start_container(runtime.create_container(spec))
        return stack

    def down(self, runtime: Runtime, stack: Stack, project: str) -> None:
        for service in SERVICES:
            with contextlib.suppress(ContainerNotFound):
                runtime.remove_container(f"{project}-{service}", force=True)


@pytest.fixture
def hand(runtime: Runtime, busybox_image: str, test_labels: dict[str, str]) -> HandStack:
    return HandStack(runtime, busybox_image, test_labels)


@pytest.fixture
def project(hand: HandStack, runtime: Runtime, unique_name: str) -> Iterator[str]:
    """A running hand-made stack, removed after the test."""
    stack = make_stack()
    try:
        hand.up(runtime, stack, unique_name)
        yield unique_name
    finally:
        hand.down(runtime, stack, unique_name)


def test_checks_pass_fail_and_time_out_on_real_containers(runtime: Runtime, project: str) -> None:
    stack = make_stack(
        checks=(
            Check("hostname is set", "alpha", sh("hostname"), expect_output=r"\w"),
            Check("runs as nobody", "beta", ("id", "-u"), user="nobody", expect_output="^65534"),
            Check("file missing", "alpha", ("test", "-e", "/etc/solved")),
            Check("wrong output", "beta", sh("echo 0 received"), expect_output="1 received"),
            Check("expects failure", "beta", ("false",), expect_exit=1),
            Check("too slow", "alpha", ("sleep", "30"), timeout=1.0),
        )
    )
    run = run_checks(runtime, stack, project)
    results = {r.name: r for r in run.results}
    assert [r.name for r in run.results] == [c.name for c in stack.exercise.checks]
    assert results["hostname is set"].passed
    assert results["runs as nobody"].passed
    assert results["expects failure"].passed
    assert results["file missing"].reason == "exit code 1, expected 0"
    assert results["wrong output"].reason == "output does not match /1 received/"
    assert results["wrong output"].output_head() == ("0 received",)
    slow = results["too slow"]
    assert slow.timed_out and slow.reason == "timed out after 1s" and slow.exit_code is None
    assert not run.passed and len(run.failures) == 3


def test_stderr_is_kept_apart_from_stdout(runtime: Runtime, project: str) -> None:
    stack = make_stack(checks=(Check("noisy", "alpha", sh("echo out; echo err >&2; exit 3")),))
    result = run_checks(runtime, stack, project).results[0]
    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)


def test_a_missing_service_fails_its_checks_only(runtime: Runtime, project: str) -> None:
    stack = make_stack(
        checks=(
            Check("alpha ok", "alpha", ("true",)),
            Check("gamma ok", "gamma", ("true",)),
        )
    )
    run = run_checks(runtime, stack, project)
    assert [r.passed for r in run.results] == [True, False]
    assert run.results[1].reason == "service 'gamma' has no running container"


def test_checking_a_project_that_is_not_up_is_a_usage_error(runtime: Runtime, unique_name: str) -> None:
    with pytest.raises(UsageError, match="is not up"):
        run_checks(runtime, make_stack(checks=(Check("x", "alpha", ("true",)),)), unique_name)


def test_solution_applies_in_order_and_stops_at_a_failure(runtime: Runtime, project: str) -> None:
    stack = make_stack(
        solution=(
            SolutionStep("alpha", sh("echo one > /tmp/state")),
            SolutionStep("alpha", sh("grep one /tmp/state && exit 4")),
            SolutionStep("beta", sh("touch /tmp/never")),
        )
    )
    report = apply_solution(runtime, stack, project)
    assert not report.passed
    assert [s.index for s in report.steps] == [1, 2]
    assert report.steps[1].exit_code == 4 and report.steps[1].output_head() == ("one",)
    untouched = Check("untouched", "beta", ("test", "!", "-e", "/tmp/never"))
    assert run_checks(runtime, make_stack(checks=(untouched,)), project).passed


def test_self_test_of_a_sound_exercise(runtime: Runtime, hand: HandStack, unique_name: str) -> None:
    stack = make_stack(
        checks=(
            Check("flag on alpha", "alpha", ("cat", "/tmp/flag"), expect_output="^solved$"),
            Check("beta reachable", "beta", ("true",), graded=False),
        ),
        solution=(SolutionStep("alpha", sh("echo solved > /tmp/flag")),),
    )
    report = self_test(runtime, stack, up=hand.up, down=hand.down, project=unique_name)
    assert report.passed, report.problems
    assert report.before is not None and [r.passed for r in report.before.results] == [False, True]
    assert report.after is not None and report.after.passed
    assert runtime.list_containers({"io.labkit.project": unique_name}) == []


def test_self_test_catches_a_check_that_proves_nothing(
    runtime: Runtime, hand: HandStack, unique_name: str
) -> None:
    stack = make_stack(
        checks=(Check("always true", "alpha", ("true",)),),
        solution=(SolutionStep("alpha", ("true",)),),
    )
    report = self_test(runtime, stack, up=hand.up, down=hand.down, project=unique_name)
    assert [str(p) for p in report.problems] == [
        "graded check 'always true' (alpha) passes before the solution: it proves nothing"
    ]
    assert runtime.list_containers({"io.labkit.project": unique_name}) == []
