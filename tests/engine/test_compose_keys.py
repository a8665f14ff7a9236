"""Compose keys beyond labkit's first set, on both engines, batched in one stack per test."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.errors import StackError
from toolkit.runtime.protocol import Runtime
from toolkit.stack.compose import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_contract import wait_for
from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

# PID 1 is the shell: it leaves with 42 on SIGINT, and ignores SIGTERM (as PID 1 does).
TRAP_INT = "trap 'exit 42' INT; touch /tmp/ready; while true; do sleep 0.1; done"

COMPOSE = """\
services:
  named:
    image: {image}
    container_name: {container}
    stop_signal: SIGINT
    stop_grace_period: 20s
    command: ["sh", "-c", "{trap}"]
"""


@pytest.fixture
def projects(runtime: Runtime) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for project in made:
        down(runtime, project, volumes=True)


def test_container_name_and_stop_signal(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    tag = f"{random.randint(0, 1 << 32):08x}"
    container = f"lkt-named-{tag}"
    (tmp_path / "compose.yaml").write_text(
        COMPOSE.format(image=busybox_image, container=container, trap=TRAP_INT)
    )
    stack = load_stack(tmp_path / "compose.yaml", environ={})
    first, second = f"lkt-keys-{tag}", f"lkt-keys2-{tag}"
    projects += [first, second]

    [status] = up(runtime, stack, project=first, wait=False).services
    assert status.container == container

    # The same file under another project name: refused before anything is created.
    with pytest.raises(StackError) as refused:
        up(runtime, stack, project=second)
    assert f"container_name {container}" in str(refused.value) and first in str(refused.value)
    assert leftovers(runtime, second) == []

    # stop_signal: the engine stops the service with SIGINT, which its shell traps.
    assert wait_for(lambda: runtime.exec(container, ["test", "-e", "/tmp/ready"]).ok)
    runtime.stop_container(container, timeout=20)
    assert runtime.inspect_container(container).exit_code == 42

    assert sorted(down(runtime, first).containers) == [container]


FILES = """\
services:
  app:
    image: {image}
    init: true
    command: [sleep, "3600"]
    secrets: [pw, {{source: token, target: api-token}}]
    configs: [{{source: settings, target: /etc/app.conf}}, motd]
secrets:
  pw: {{file: ./pw.txt}}
  token: {{file: ./token.txt}}
configs:
  settings: {{file: ./app.conf}}
  motd: {{file: ./motd.txt}}
"""


def test_file_secrets_and_configs_are_mounted_read_only_where_compose_puts_them(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    for name, text in (
        ("pw.txt", "s3cret"),
        ("token.txt", "t0ken"),
        ("app.conf", "debug=1"),
        ("motd.txt", "hi"),
    ):
        (tmp_path / name).write_text(text)
    (tmp_path / "compose.yaml").write_text(FILES.format(image=busybox_image))
    project = f"lkt-files-{random.randint(0, 1 << 32):08x}"
    projects.append(project)

    [status] = up(runtime, load_stack(tmp_path / "compose.yaml", environ={}), project=project).services

    expected = {
        "/run/secrets/pw": "s3cret",
        "/run/secrets/api-token": "t0ken",
        "/etc/app.conf": "debug=1",
        "/motd": "hi",
    }
    for path, text in expected.items():
        assert runtime.exec(status.container, ["cat", path]).stdout == text
        written = runtime.exec(status.container, ["sh", "-c", f"echo changed > {path}"], user="root")
        assert not written.ok, f"{path} is writable"
    assert (tmp_path / "pw.txt").read_text() == "s3cret"


SMALL_KEYS = """\
services:
  box:
    image: {image}
    init: true
    command: [sleep, "3600"]
    dns_search: lab.test
    dns_opt: ["ndots:2"]
    group_add: ["4321"]
    shm_size: 16m
    mac_address: "02:42:ac:11:00:09"
    develop:
      watch: [{{path: ., action: rebuild}}]
"""


def test_dns_search_dns_opt_group_add_shm_size_mac_address_and_develop(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(SMALL_KEYS.format(image=busybox_image))
    validated = labkit("validate", str(tmp_path / "compose.yaml"))
    assert validated.returncode == 0, validated.stderr
    assert "note: services.box.develop: read and ignored" in validated.stdout
    project = f"lkt-small-{random.randint(0, 1 << 32):08x}"
    projects.append(project)

    [status] = up(runtime, load_stack(tmp_path / "compose.yaml", environ={}), project=project).services

    def inside(command: str) -> str:
        result = runtime.exec(status.container, ["sh", "-c", command])
        assert result.ok, result
        return result.stdout

    resolv = inside("cat /etc/resolv.conf").splitlines()
    assert "search lab.test" in resolv and "options ndots:2" in resolv
    assert "4321" in inside("id -G").split()
    assert inside("df -k /dev/shm | tail -1").split()[1] == "16384"
    assert inside("cat /sys/class/net/eth0/address").strip() == "02:42:ac:11:00:09"
