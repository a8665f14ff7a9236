"""Services that will not come up: `up` fails within its timeout, names the service, and leaves
nothing with the project's label behind (containers, networks, volumes).

Already covered in tests/engine/test_stack_up.py and test_stack_cli.py: a service that exits
after its dependency is healthy, a healthcheck that keeps failing (library and CLI). Here: a
container that cannot even start, one that exits at once, a probe that hangs, and a never
healthy service whose stack has a volume and a waiting dependent.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.engine.test_stack_fixtures import make_stack, on_lan, service
from toolkit.errors import StackError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import HealthcheckSpec
from toolkit.stack.model import Volume, VolumeMount
from toolkit.stack.orchestrator import up

from .conftest import assert_clean_exit, labkit, leftovers, write_compose

pytestmark = pytest.mark.engine

# A probe that would hang for 100 s; its own timeout is 1 s. The long interval keeps the
# healthcheck's own rules from calling it unhealthy before `up`'s timeout.
HANGING = HealthcheckSpec(("CMD", "sleep", "100"), interval=30.0, timeout=1.0, retries=3)


def test_a_container_that_cannot_start(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    broken = service("broken", busybox_image, healthcheck=None, command=("/no/such/program",))
    with pytest.raises(StackError) as caught:
        up(runtime, make_stack(tmp_path, broken), project=project, timeout=20)
    assert caught.value.service == "broken"
    assert caught.value.message.startswith("service broken ")
    assert "removed" in caught.value.message
    assert leftovers(runtime, project) == []


def test_a_service_that_exits_at_once(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    crash = service(
        "crash", busybox_image, healthcheck=None, command=("sh", "-c", "echo config is wrong >&2; exit 1")
    )
    networks, attach = on_lan()
    stack = make_stack(tmp_path, replace(crash, networks=attach), networks=networks)
    with pytest.raises(StackError) as caught:
        up(runtime, stack, project=project, timeout=20)
    assert caught.value.service == "crash"
    assert "service crash exited with code 1" in caught.value.message
    assert caught.value.log_tail == ("config is wrong",)
    assert leftovers(runtime, project) == []


def test_a_hanging_probe_fails_up_at_its_timeout(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    stuck = service("stuck", busybox_image, healthcheck=HANGING, init=True)
    started = time.monotonic()
    with pytest.raises(StackError) as caught:
        up(runtime, make_stack(tmp_path, stuck), project=project, timeout=3)
    elapsed = time.monotonic() - started
    assert caught.value.service == "stuck"
    assert "service stuck was not healthy within 3 s" in caught.value.message
    assert "timed out" in caught.value.probe_output
    # Not a timing measurement: the probe would hang 100 s; `up` must not wait for it.
    assert elapsed < 60, elapsed
    assert leftovers(runtime, project) == []


def test_never_healthy_takes_its_volume_and_waiting_dependent_away(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    failing = HealthcheckSpec(("CMD", "false"), interval=30, retries=3)
    mount = (VolumeMount("volume", "/data", "data"),)
    db = service("db", busybox_image, healthcheck=failing, volumes=mount, init=True)
    web = service("web", busybox_image, "db", init=True)
    networks, attach = on_lan()
    stack = make_stack(
        tmp_path,
        replace(db, networks=attach),
        replace(web, networks=attach),
        networks=networks,
        volumes=(Volume("data"),),
    )
    with pytest.raises(StackError) as caught:
        up(runtime, stack, project=project, timeout=1)
    assert caught.value.service == "db"
    assert "service db was not healthy within 1 s" in caught.value.message
    assert leftovers(runtime, project) == []


# ---------------------------------------------------------------- the same through the CLI

CLI_STACK = """\
services:
  other:
    image: {image}
    init: true
    command: ["sleep", "3600"]
  bad:
    image: {image}
    init: true
{fault}
volumes:
  data: {{}}
"""

FAULTS = {
    "cannot-start": ('    command: ["/no/such/program"]\n', "service bad "),
    "exits-at-once": (
        '    command: ["sh", "-c", "echo config is wrong; exit 1"]\n',
        "service bad exited with code 1",
    ),
    "hanging-probe": (
        '    command: ["sleep", "3600"]\n'
        "    volumes: [data:/data]\n"
        "    healthcheck:\n"
        '      test: ["CMD", "sleep", "100"]\n'
        "      interval: 30s\n"
        "      timeout: 1s\n",
        "service bad was not healthy within 3 s",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_cli_up_fails_naming_the_service_and_leaves_nothing(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path, fault: str
) -> None:
    lines, expected = FAULTS[fault]
    folder = write_compose(tmp_path / "faulty", CLI_STACK.format(image=busybox_image, fault=lines))
    result = labkit("up", str(folder), "-p", project, "--timeout", "3s", "--engine", runtime.name)
    error = assert_clean_exit(result.returncode, result.stderr, 1, expected)
    assert error.startswith("error: service bad ")
    assert result.stdout == ""
    assert leftovers(runtime, project) == []
