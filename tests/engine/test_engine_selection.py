"""Engine selection against the real engines: detection, the CLI's engine listing, and the
transient Podman service labkit starts when none answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from toolkit.runtime.select import (
    EngineChoice,
    available_engines,
    connect,
    identify_socket,
    start_transient_podman,
    stop_transient_podman,
    transient_service_running,
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _require(engine: str) -> None:
    if engine not in {choice.name for choice in available_engines()}:
        if IN_CI:
            pytest.fail(f"{engine} is required in CI and does not answer")
        pytest.skip(f"{engine} does not answer")


def test_engine_json_lists_both_engines_and_one_default() -> None:
    _require("docker")
    _require("podman")
    result = subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", "engine", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    engines = json.loads(result.stdout)
    assert sorted(e["name"] for e in engines) == ["docker", "podman"]
    assert sum(1 for e in engines if e["default"]) == 1
    for engine in engines:
        assert engine["version"] and engine["api_version"] and engine["socket"]


def test_transient_podman_service_starts_answers_and_stops() -> None:
    if shutil.which("podman") is None:
        if IN_CI:
            pytest.fail("podman is required in CI")
        pytest.skip("podman is not installed")
    path = start_transient_podman()
    assert path is not None, "the transient podman service did not answer"
    try:
        assert identify_socket(path) == "podman"
        runtime = connect(EngineChoice("podman", path, "test"))
        try:
            assert runtime.info().name == "podman"
        finally:
            runtime.close()
        assert transient_service_running()
    finally:
        stop_transient_podman()
    assert not transient_service_running()
    assert identify_socket(path) is None, "the transient service outlived its owner"
    assert not os.path.exists(path)
