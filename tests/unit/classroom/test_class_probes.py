"""Probe containers are made before checks run, never while they run.

On Podman a container joining a network makes aardvark-dns reopen its listeners, and the name
lookups of checks running at that moment are lost (checks/probe.py). So `class up` makes each
student's probes, a class check makes the missing ones before its first check and none when
all are there, and a single check run makes its own before its first check.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from toolkit.checks.probe import LABEL_PROBE
from toolkit.checks.runner import run_checks
from toolkit.classroom.grading import class_check, class_up
from toolkit.classroom.roster import Student
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, Stack
from toolkit.stack.orchestrator import up
from toolkit.stack.placement import Renumbering
from toolkit.stack.variants import student_project

IMAGE = "lab/host:1"
STUDENTS = (Student("s0", "Ada"), Student("s1", "Alan"), Student("s2", "Grace"))
CHECKS = (
    Check("base", "a", ("/bin/sh", "-c", "base")),
    Check("seen from lan", "probe-lan", ("ping", "10.40.0.11"), requires=("base",), probe="lan"),
)


def lab(tmp_path: Path) -> Stack:
    return Stack(
        name="lab",
        file=tmp_path / "lab" / "compose.yaml",
        services={"a": Service("a", image=IMAGE, networks=(ServiceNetwork("lan", "10.40.0.11"),))},
        networks={"lan": Network("lan", subnet="10.40.0.0/24", gateway="10.40.0.1")},
        volumes={},
        exercise=Exercise(checks=CHECKS),
    )


def engine(*, base_passes: bool) -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image(IMAGE)

    def answer(container: str, argv: object) -> ExecResult:
        if container.endswith("-probe-lan"):
            return ExecResult(0, "3 packets transmitted, 3 received", "")
        return ExecResult(0 if base_passes else 1, "", "")

    fake.on_exec = answer
    return fake


def starts(calls: list[str]) -> list[str]:
    return [call for call in calls if call.split()[0] in ("create_container", "start_container")]


def first_exec(calls: list[str]) -> int:
    return next(index for index, call in enumerate(calls) if call.startswith("exec "))


def probes(fake: FakeRuntime) -> list[str]:
    return sorted(info.name for info in fake.list_containers({LABEL_PROBE: None}))


def up_class(fake: FakeRuntime, tmp_path: Path) -> None:
    stack = lab(tmp_path)
    outcomes = class_up(
        fake,
        STUDENTS,
        lambda student: replace(stack, name=student_project("lab", student.id)),
        renumbering=Renumbering(),
        timeout=10,
    )
    assert [outcome.ok for outcome in outcomes] == [True, True, True], outcomes


def grade(fake: FakeRuntime, tmp_path: Path) -> list[int]:
    stack = lab(tmp_path)
    book = class_check(
        fake,
        STUDENTS,
        lambda student: replace(stack, name=student_project("lab", student.id)),
        exercise="lab",
        checks=CHECKS,
    )
    assert [grade.status for grade in book.grades] == ["graded"] * 3
    return [grade.score for grade in book.grades]


def test_class_up_makes_every_students_probe(tmp_path: Path) -> None:
    fake = engine(base_passes=False)
    up_class(fake, tmp_path)
    assert probes(fake) == ["lab-s0-probe-lan", "lab-s1-probe-lan", "lab-s2-probe-lan"]


def test_a_class_check_makes_missing_probes_before_its_first_check_and_none_when_all_are_there(
    tmp_path: Path,
) -> None:
    fake = engine(base_passes=True)
    up_class(fake, tmp_path)
    fake.remove_container("lab-s0-probe-lan")
    fake.remove_container("lab-s2-probe-lan")
    fake.calls.clear()

    assert grade(fake, tmp_path) == [2, 2, 2]
    made = starts(fake.calls)
    assert sorted(made) == [
        "create_container lab-s0-probe-lan",
        "create_container lab-s2-probe-lan",
        "start_container lab-s0-probe-lan",
        "start_container lab-s2-probe-lan",
    ]
    assert max(fake.calls.index(call) for call in made) < first_exec(fake.calls)

    fake.calls.clear()
    assert grade(fake, tmp_path) == [2, 2, 2]
    assert starts(fake.calls) == []
    assert len([call for call in fake.calls if call.startswith("exec ")]) == 6


def test_a_check_run_makes_its_probe_before_its_first_check_even_if_it_may_be_blocked(
    tmp_path: Path,
) -> None:
    fake = engine(base_passes=False)
    up(fake, lab(tmp_path), project="lab")
    fake.calls.clear()

    run = run_checks(fake, lab(tmp_path), "lab")

    assert [result.passed for result in run.results] == [False, False]
    assert run.results[1].blocked_by == "base"
    assert starts(fake.calls) == ["create_container lab-probe-lan", "start_container lab-probe-lan"]
    assert fake.calls.index("start_container lab-probe-lan") < first_exec(fake.calls)
