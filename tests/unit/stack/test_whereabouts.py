"""Which engine a command on a project works on, decided from each engine's listing."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.peek import Peeked
from toolkit.runtime.select import EngineChoice
from toolkit.stack.whereabouts import Peek, exercise_projects, locate_project, refuse_up_elsewhere

DOCKER = EngineChoice("docker", "/run/docker.sock", "detected")
PODMAN = EngineChoice("podman", "/run/podman/podman.sock", "detected")


def holding(**projects: list[str]) -> Peek:
    """A peek answering from {engine: [project, ...]}; the projects run exercise `routing`."""

    def peek(choice: EngineChoice, labels: Mapping[str, str | None]) -> list[Peeked]:
        if choice.socket == "/nowhere":
            raise EngineUnavailable("gone")
        found = []
        for project in projects.get(choice.name, []):
            mine = {"io.labkit.project": project, "io.labkit.exercise": "routing", "io.labkit.service": "h"}
            if all(key in mine and value in (None, mine[key]) for key, value in labels.items()):
                found.append(Peeked(mine, running=True))
        return found

    return peek


def both() -> list[EngineChoice]:
    return [DOCKER, PODMAN]


def test_without_an_engine_asked_for_the_project_is_found_where_it_runs() -> None:
    located = locate_project("trial3", DOCKER, explicit=False, others=both, peek=holding(podman=["trial3"]))
    assert (located.choice, located.found) == (PODMAN, True)
    nowhere = locate_project("new", DOCKER, explicit=False, others=both, peek=holding())
    assert (nowhere.choice, nowhere.found) == (DOCKER, False)


def test_asking_for_the_other_engine_says_which_flag_to_add() -> None:
    with pytest.raises(
        UsageError, match=r"^project trial3 is not up on docker but on podman: add --engine podman$"
    ):
        locate_project("trial3", DOCKER, explicit=True, others=both, peek=holding(podman=["trial3"]))


def test_a_project_on_both_engines_asks_which() -> None:
    with pytest.raises(
        UsageError, match="up on docker and on podman: add --engine docker or --engine podman"
    ):
        locate_project("p", DOCKER, explicit=False, others=both, peek=holding(docker=["p"], podman=["p"]))


def test_up_is_refused_where_another_engine_runs_the_project() -> None:
    with pytest.raises(UsageError, match=r"^project p is already up on podman: "):
        refuse_up_elsewhere("p", DOCKER, others=both, peek=holding(podman=["p"]))
    refuse_up_elsewhere("p", DOCKER, others=both, peek=holding(docker=["p"]))


def test_an_engine_that_stops_answering_holds_nothing() -> None:
    gone = EngineChoice("gone", "/nowhere", "detected")  # type: ignore[arg-type]
    located = locate_project("p", DOCKER, explicit=False, others=lambda: [DOCKER, gone], peek=holding())
    assert located == locate_project("p", DOCKER, explicit=False, others=list, peek=holding())


def test_the_exercises_projects_on_every_engine() -> None:
    peek = holding(docker=["trial1"], podman=["trial3", "alice"])
    assert exercise_projects("routing", both(), peek) == [
        ("alice", "podman"),
        ("trial1", "docker"),
        ("trial3", "podman"),
    ]
