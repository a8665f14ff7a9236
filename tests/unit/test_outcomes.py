"""The suite's rules for a test that cannot run (tests/outcomes.py)."""

from __future__ import annotations

import pytest

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
