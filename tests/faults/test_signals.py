"""A `labkit` process stopped by a signal: SIGKILL in the middle of `up` leaves resources that
the next `down` removes; Ctrl-C during `up` and `check` ends cleanly (exit 130, one line, no
traceback) and leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_stack_fixtures import test_subnet
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.orchestrator import up

from .conftest import (
    assert_clean_exit,
    interrupt,
    labkit,
    leftovers,
    start_labkit,
    stop,
    wait_until,
    write_compose,
)

pytestmark = pytest.mark.engine

# `slow` turns healthy LKT_DELAY seconds after it starts; `after` waits for that. The long
# start period keeps failed probes from counting while it warms up.
SLOW_STACK = """\
services:
  slow:
    image: {image}
    init: true
    command: ["sh", "-c", "sleep ${{LKT_DELAY:-0}}; touch /tmp/ready; exec sleep 3600"]
    networks: [lan, default]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      start_period: 600s
      start_interval: 1s
  after:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    networks: [lan]
    depends_on:
      slow:
        condition: service_healthy
networks:
  lan:
    ipam:
      config:
        - subnet: {subnet}
"""

NEVER_READY = {"LKT_DELAY": "600"}


@pytest.fixture
def slow_stack(tmp_path: Path, busybox_image: str) -> Path:
    return write_compose(tmp_path / "slow", SLOW_STACK.format(image=busybox_image, subnet=test_subnet()))


def test_sigkill_in_the_middle_of_up_then_down_removes_every_leftover(
    runtime: Runtime, slow_stack: Path, project: str
) -> None:
    engine = ("--engine", runtime.name)
    selector = naming.project_selector(project)
    process = start_labkit("up", str(slow_stack), "-p", project, *engine, env=NEVER_READY)
    try:
        wait_until(
            "slow's container exists",
            lambda: any(c.name == f"{project}-slow" for c in runtime.list_containers(selector)),
            process,
        )
        process.kill()  # SIGKILL: no cleanup runs
        process.communicate()
        left = leftovers(runtime, project)
        assert f"container {project}-slow" in left and f"network {project}-lan" in left, left

        down = labkit("down", "-p", project, *engine)
        assert down.returncode == 0, down.stderr
        assert down.stdout.startswith(f"project {project}: removed ")
        assert leftovers(runtime, project) == []

        again = labkit("up", str(slow_stack), "-p", project, *engine)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith(f"project {project} on {runtime.name}: 2 services started")
        states = {c.name: c.running for c in runtime.list_containers(selector)}
        assert states == {f"{project}-slow": True, f"{project}-after": True}

        assert labkit("down", "-p", project, *engine).returncode == 0
        assert leftovers(runtime, project) == []
    finally:
        stop(process)


def test_ctrl_c_during_up(runtime: Runtime, slow_stack: Path, project: str) -> None:
    text = (slow_stack / "compose.yaml").read_text()
    (slow_stack / "compose.yaml").write_text(
        text.replace("    networks: [lan]\n", "    networks: [lan]\n    volumes: [data:/data]\n")
        + "volumes:\n  data: {}\n"
    )
    process = start_labkit("up", str(slow_stack), "-p", project, "--engine", runtime.name, env=NEVER_READY)
    try:
        # Interrupt while `up` waits for slow to turn healthy: its containers exist by then.
        wait_until(
            "slow is running",
            lambda: any(c.running for c in runtime.list_containers(naming.project_selector(project))),
            process,
        )
        code, out, err = interrupt(process)
    finally:
        stop(process)
    assert_clean_exit(code, err, 130, "interrupted")
    assert out == ""
    assert leftovers(runtime, project) == []


CHECK_STACK = """\
x-labkit:
  checks:
    - name: takes its time
      service: web
      run: sleep 600
      timeout: 900s
    - name: quick
      service: web
      run: "true"
services:
  web:
    image: {image}
    init: true
    command: ["sleep", "3600"]
"""


def test_ctrl_c_during_check(runtime: Runtime, busybox_image: str, project: str, tmp_path: Path) -> None:
    folder = write_compose(tmp_path / "checked", CHECK_STACK.format(image=busybox_image))
    up(runtime, load_stack(folder / "compose.yaml"), project=project)
    before = leftovers(runtime, project)
    web = naming.container_name(project, "web")

    def check_is_running() -> bool:
        return "sleep 600" in runtime.exec(web, ["ps", "-o", "args"]).stdout

    process = start_labkit("check", str(folder), "-p", project, "--engine", runtime.name)
    try:
        wait_until("the slow check runs", check_is_running, process)
        code, out, err = interrupt(process)
    finally:
        stop(process)
    line = assert_clean_exit(code, err, 130, "interrupted")
    assert line == "error: interrupted"  # it created nothing, so it claims no clean-up
    # The stack is the user's and stays; the check itself created nothing.
    assert leftovers(runtime, project) == before
