"""Engine selection: flag, then LABKIT_ENGINE, then detection (sockets faked, no engine needed)."""

from __future__ import annotations

import pytest

from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.select import (
    DOCKER_ROOTFUL,
    PODMAN_ROOTFUL,
    EngineChoice,
    available_engines,
    candidate_sockets,
    resolve_engine,
)
from toolkit.runtime.specs import EngineName


def sockets(**answers: EngineName) -> dict[str, EngineName]:
    return {path.replace("_", "/"): name for path, name in answers.items()}


def identify_from(table: dict[str, EngineName]):  # type: ignore[no-untyped-def]
    return lambda path: table.get(path)


BOTH = {DOCKER_ROOTFUL: "docker", PODMAN_ROOTFUL: "podman"}


def never_start() -> str | None:
    return None


def test_detection_prefers_docker_then_podman() -> None:
    choice = resolve_engine(None, {}, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert choice == EngineChoice("docker", DOCKER_ROOTFUL, "detected")


def test_flag_beats_environment() -> None:
    environ = {"LABKIT_ENGINE": "docker"}
    choice = resolve_engine("podman", environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert (choice.name, choice.source) == ("podman", "--engine")


def test_environment_beats_detection() -> None:
    environ = {"LABKIT_ENGINE": "Podman"}
    choice = resolve_engine(None, environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert (choice.name, choice.socket, choice.source) == ("podman", PODMAN_ROOTFUL, "LABKIT_ENGINE")


def test_docker_host_pointing_at_podman_is_recognised_as_podman() -> None:
    environ = {"DOCKER_HOST": "unix:///tmp/p.sock"}
    table: dict[str, EngineName] = {"/tmp/p.sock": "podman"}
    engines = available_engines(environ, identify_from(table))  # type: ignore[arg-type]
    assert engines == [EngineChoice("podman", "/tmp/p.sock", "DOCKER_HOST")]


def test_container_host_comes_first() -> None:
    environ = {"CONTAINER_HOST": "unix:///x/podman.sock", "DOCKER_HOST": "unix:///y/docker.sock"}
    assert [p for p, _ in candidate_sockets(environ)][:2] == ["/x/podman.sock", "/y/docker.sock"]


def test_tcp_hosts_are_not_candidates() -> None:
    environ = {"DOCKER_HOST": "tcp://10.0.0.1:2375"}
    assert all(source != "DOCKER_HOST" for _, source in candidate_sockets(environ))


def test_unknown_engine_name_is_a_usage_error_listing_choices() -> None:
    with pytest.raises(UsageError, match="choose one of docker, podman") as info:
        resolve_engine("dokcer", {}, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert info.value.exit_code == 2


def test_missing_podman_starts_a_transient_service() -> None:
    only_docker: dict[str, EngineName] = {DOCKER_ROOTFUL: "docker"}
    choice = resolve_engine(
        "podman",
        {},
        identify_from(only_docker),
        lambda: "/tmp/labkit-x/podman.sock",  # type: ignore[arg-type]
    )
    assert choice.name == "podman"
    assert choice.socket == "/tmp/labkit-x/podman.sock"
    assert "transient" in choice.source


def test_no_engine_at_all_is_exit_code_3() -> None:
    with pytest.raises(EngineUnavailable) as info:
        resolve_engine(None, {}, identify_from({}), never_start)  # type: ignore[arg-type]
    assert info.value.exit_code == 3
    assert "labkit doctor" in str(info.value)


def test_docker_asked_for_but_absent_does_not_start_podman() -> None:
    started: list[bool] = []

    def start() -> str | None:
        started.append(True)
        return "/tmp/x.sock"

    with pytest.raises(EngineUnavailable, match="no docker engine answers"):
        resolve_engine("docker", {}, identify_from({}), start)  # type: ignore[arg-type]
    assert started == []


def test_a_host_variable_that_does_not_answer_is_an_error_not_a_fallback() -> None:
    for variable in ("CONTAINER_HOST", "DOCKER_HOST"):
        environ = {variable: "unix:///gone/engine.sock"}
        with pytest.raises(EngineUnavailable, match=f"{variable} names /gone/engine.sock") as info:
            resolve_engine(None, environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
        assert info.value.exit_code == 3


def test_the_engine_s_own_variable_must_answer_when_that_engine_is_asked_for() -> None:
    environ = {"DOCKER_HOST": "unix:///gone/docker.sock"}
    with pytest.raises(EngineUnavailable, match="DOCKER_HOST"):
        resolve_engine("docker", environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    # Another engine's stale variable does not stand in the way.
    choice = resolve_engine("podman", environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert (choice.name, choice.socket) == ("podman", PODMAN_ROOTFUL)


def test_a_host_variable_that_answers_is_used_with_its_source() -> None:
    environ = {"DOCKER_HOST": "unix:///tmp/p.sock"}
    table: dict[str, EngineName] = {**BOTH, "/tmp/p.sock": "podman"}
    choice = resolve_engine(None, environ, identify_from(table), never_start)  # type: ignore[arg-type]
    assert choice == EngineChoice("podman", "/tmp/p.sock", "DOCKER_HOST")
    # Asked for docker, DOCKER_HOST naming Podman's socket: docker is found where it is.
    docker = resolve_engine("docker", environ, identify_from(table), never_start)  # type: ignore[arg-type]
    assert (docker.name, docker.socket) == ("docker", DOCKER_ROOTFUL)


def test_a_tcp_host_is_a_usage_error_when_it_would_decide() -> None:
    environ = {"DOCKER_HOST": "tcp://10.0.0.1:2375"}
    with pytest.raises(UsageError, match="unix sockets only") as info:
        resolve_engine(None, environ, identify_from(BOTH), never_start)  # type: ignore[arg-type]
    assert info.value.exit_code == 2
