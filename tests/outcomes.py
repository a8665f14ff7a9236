"""What a test that cannot run does: skip locally, fail under CI, except for a known host limit.

CI must prove what the README claims, so with CI=true a missing engine, package, corpus or
base image fails the test. A few limits of the machine itself (no registry to pull from, a
capability bounding set runc cannot apply) cannot be fixed by provisioning: those skip even
under CI, under one of the fixed group names below, and the run's summary counts them by group.
So do contract cases the in-memory fake cannot run (a skip by design).
"""

from __future__ import annotations

from typing import NoReturn

import pytest

from toolkit.testing.engines import in_ci

# Host limits a CI machine may have; a skip under one of these names is never a failure.
NO_REGISTRY = "dnf family not built: no registry"
BOUNDING_SET = "Docker privileged not run: the host's capability bounding set is incomplete"
# tests/kube's case on a real cluster: CI machines have none.
NO_CLUSTER = "KUBECONFIG does not point at a cluster"
HOST_LIMITS = (NO_REGISTRY, BOUNDING_SET, NO_CLUSTER)
# Skips by design, not by circumstance: a contract case the in-memory fake cannot run.
NEEDS_ENGINE = "needs a real engine"
CI_ALLOWED = (*HOST_LIMITS, NEEDS_ENGINE)

__all__ = [
    "BOUNDING_SET",
    "CI_ALLOWED",
    "HOST_LIMITS",
    "NEEDS_ENGINE",
    "NO_CLUSTER",
    "NO_REGISTRY",
    "cannot_run",
    "host_limit",
    "in_ci",
    "skip_group",
]


def cannot_run(reason: str) -> NoReturn:
    """End a test whose precondition is missing: a skip locally, a failure with CI=true."""
    __tracebackhide__ = True  # the report names the test's line, not this one
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this must run)", pytrace=False)
    pytest.skip(reason)


def host_limit(group: str, detail: str) -> NoReturn:
    """Skip, CI or not, for a limit of the host itself: `group` is one of HOST_LIMITS."""
    __tracebackhide__ = True
    if group not in HOST_LIMITS:
        raise ValueError(f"{group!r} is not a known host limit: {HOST_LIMITS}")
    pytest.skip(f"{group} ({detail})")


def skip_group(reason: str) -> str:
    """The summary's group for a skip reason: its host limit (or design reason), else the
    reason itself."""
    reason = reason.removeprefix("Skipped: ")
    for group in CI_ALLOWED:
        if reason.startswith(group):
            return group
    return reason
