"""The suite's rules for a test that cannot run (tests/outcomes.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import summary
from tests.outcomes import BOUNDING_SET, NO_REGISTRY, cannot_run, host_limit, skip_group


def test_a_missing_precondition_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="^no ip command$"):
        cannot_run("no ip command")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no ip command \(CI=true: this must run\)"):
        cannot_run("no ip command")


def test_a_host_limit_skips_even_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.skip.Exception, match=r"^dnf family not built: no registry \(pull: refused\)$"):
        host_limit(NO_REGISTRY, "pull: refused")
    with pytest.raises(ValueError, match="not a known host limit"):
        host_limit("anything I like", "so that CI skips it")


def test_skips_are_grouped_by_host_limit_else_by_reason() -> None:
    assert skip_group(f"Skipped: {NO_REGISTRY} (docker pull quay.io/x: no such host)") == NO_REGISTRY
    assert skip_group(f"{BOUNDING_SET} (here 0x1 of 0x3)") == BOUNDING_SET
    assert skip_group("Skipped: podman does not answer") == "podman does not answer"


class Unpulled:
    """A runtime without the image: just enough for pull_or_skip."""

    name = "docker"

    def image_exists(self, ref: str) -> bool:
        return False


def fake_engine_client(folder: Path, exit_code: int, error: str) -> str:
    """A `docker` client on PATH that fails every pull with `error`; returns the new PATH."""
    client = folder / "docker"
    client.write_text(f"#!/bin/sh\necho \"$@\" > {folder}/argv\necho '{error}' >&2\nexit {exit_code}\n")
    client.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def test_a_dnf_base_is_pulled_first_and_skips_with_the_pulls_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.engine import test_images

    monkeypatch.setenv("PATH", fake_engine_client(tmp_path, 1, "Error: lookup quay.io: no such host"))
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(test_images, "registry_reachable", lambda ref: False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        test_images.pull_or_skip(Unpulled(), "quay.io/centos/centos:stream9")  # type: ignore[arg-type]
    assert (tmp_path / "argv").read_text() == "pull -q quay.io/centos/centos:stream9\n"
    assert str(skipped.value) == (
        f"{NO_REGISTRY} (docker pull quay.io/centos/centos:stream9: Error: lookup quay.io: no such host)"
    )
    # A registry that answers but whose pull fails is no host limit: CI fails.
    monkeypatch.setattr(test_images, "registry_reachable", lambda ref: True)
    with pytest.raises(pytest.fail.Exception, match="docker pull quay.io/centos/centos:stream9 failed"):
        test_images.pull_or_skip(Unpulled(), "quay.io/centos/centos:stream9")  # type: ignore[arg-type]


class Report:
    """The parts of a pytest TestReport the summary reads."""

    def __init__(self, engine: str | None, reason: str = "") -> None:
        self.when = "call"
        self.user_properties = [(summary.ENGINE_PROPERTY, engine)] if engine else []
        self.longrepr = ("tests/x.py", 1, f"Skipped: {reason}") if reason else None


def test_the_summary_counts_per_engine_and_groups_skips() -> None:
    stats = {
        "passed": [Report("docker"), Report("docker"), Report("podman"), Report(None)],
        "failed": [Report("podman")],
        "skipped": [
            Report("docker", f"{NO_REGISTRY} (docker pull quay.io/a: no such host)"),
            Report("podman", f"{NO_REGISTRY} (podman pull quay.io/a: no such host)"),
            Report("podman", f"{NO_REGISTRY} (podman pull quay.io/b: no such host)"),
            Report("docker", "podman does not answer"),
        ],
        "": [Report("docker")],  # setup and teardown reports of passing tests: not tests
    }
    assert summary.lines(stats) == [
        "engines tested: docker, podman",
        "docker: 4 tests (2 passed, 2 skipped); podman: 4 tests (1 passed, 1 failed, 2 skipped); "
        "no engine: 1 tests (1 passed)",
        "skipped 4, by reason:",
        f"     3  {NO_REGISTRY} (a limit of this host) [docker 1, podman 2]",
        "     1  podman does not answer [docker 1]",
    ]


def test_the_scheduler_groups_by_engine_then_by_module() -> None:
    from tests.scheduling import scope_of

    assert scope_of("tests/engine/test_x.py::test_a[docker]") == "docker"
    assert scope_of("tests/engine/test_x.py::test_b[podman-web]") == "podman"
    assert scope_of("tests/engine/test_x.py::test_c[3-docker]") == "docker"
    assert (
        scope_of("tests/bad_input/test_bad_input.py::test_cli[001-dockerfile]")
        == "tests/bad_input/test_bad_input.py"
    )
    assert scope_of("tests/unit/test_y.py::test_d") == "tests/unit/test_y.py"
    assert scope_of("tests/engine/test_contract.py::test_e[fake-docker]") == "tests/engine/test_contract.py"
