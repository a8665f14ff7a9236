"""`logs` and `exec` of a running project, found by its labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.stack.operations import exec_in_service, logs
from toolkit.stack.orchestrator import up

from .test_stack_fixtures import make_stack, project_fixture, service  # noqa: F401

pytestmark = pytest.mark.engine


def test_follow_interleaves_services_until_they_stop(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    talk = ("sh", "-c", "echo one; sleep 0.3; echo two")
    stack = make_stack(
        tmp_path,
        service("a", busybox_image, healthcheck=None, command=talk),
        service("b", busybox_image, healthcheck=None, command=talk),
    )
    up(runtime, stack, project=project, wait=False)
    lines = list(logs(runtime, project, follow=True))
    assert sorted((line.service, line.text) for line in lines) == [
        ("a", "one"), ("a", "two"), ("b", "one"), ("b", "two"),
    ]  # fmt: skip
    assert [line.text for line in lines if line.service == "a"] == ["one", "two"]
    tail = list(logs(runtime, project, "b", tail=1))
    assert [(line.service, line.text) for line in tail] == [("b", "two")]


def test_exec_and_unknown_service(runtime: Runtime, busybox_image: str, project: str, tmp_path: Path) -> None:
    up(runtime, make_stack(tmp_path, service("web", busybox_image, init=True)), project=project)
    result = exec_in_service(runtime, project, "web", ["sh", "-c", "echo $((6 * 7))"])
    assert (result.exit_code, result.stdout) == (0, "42\n")
    with pytest.raises(UsageError, match="has no service 'db': choose one of web"):
        exec_in_service(runtime, project, "db", ["true"])
    with pytest.raises(UsageError, match="is not up"):
        list(logs(runtime, f"{project}-none"))
