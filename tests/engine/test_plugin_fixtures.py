"""The pytest plugin, used as a course's own tests would use it: only its fixtures.

Runs on every engine that answers (the lab_engines marker), so one file proves the fixtures
on Docker and on Podman.
"""

from __future__ import annotations

import ipaddress
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import BUSYBOX_REF, bootstrapped_base, ensure_busybox
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.testing import ContainerFactory, ExecReady, LabStack, LogLine, PortOpen, StackFactory

pytestmark = [pytest.mark.engine, pytest.mark.lab_engines("all")]

COMPOSE = """
name: pluginlab
x-labkit:
  title: a flag to set
  checks:
    - name: the flag is on
      service: a
      run: cat /tmp/flag
      expect_output: '^on$'
    - name: b runs
      service: b
      run: "true"
      graded: false
  solution:
    - service: a
      run: echo on > /tmp/flag
services:
  a:
    image: {image}
    command: ["sleep", "3600"]
    networks: [lan]
  b:
    image: {image}
    command: ["sleep", "3600"]
    networks: [lan]
networks:
  lan:
    ipam:
      config:
        - subnet: 10.77.3.0/24
"""


@pytest.fixture(scope="session")
def busybox(lab_engine: Runtime, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tiny test image on this engine (imported once, kept between runs)."""
    return ensure_busybox(lab_engine, tmp_path_factory.mktemp("busybox"))


@pytest.fixture(scope="module")
def compose_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("compose") / "pluginlab"
    folder.mkdir()
    path = folder / "compose.yaml"
    path.write_text(textwrap.dedent(COMPOSE).format(image=BUSYBOX_REF))
    return path


# ---------------------------------------------------------------- lab_container


def test_container_waits_for_an_exec_probe(lab_container: ContainerFactory, busybox: str) -> None:
    box = lab_container(
        busybox,
        command=["sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 600"],
        wait=ExecReady(["test", "-e", "/tmp/ready"], timeout=30),
    )
    assert box.run(["test", "-e", "/tmp/ready"])[0] == 0
    code, output = box.run("echo $((6 * 7))")
    assert (code, output) == (0, "42\n")


def test_container_waits_for_a_log_line(lab_container: ContainerFactory, busybox: str) -> None:
    box = lab_container(
        busybox,
        command=["sh", "-c", "echo starting; sleep 0.2; echo listening now; exec sleep 600"],
        wait=LogLine("listening now", timeout=30),
    )
    assert "listening now" in box.logs()


def test_container_waits_for_a_port(lab_container: ContainerFactory, busybox: str) -> None:
    box = lab_container(
        busybox,
        command=["sh", "-c", "sleep 0.2; exec nc -ll -p 8080 -e cat"],
        wait=PortOpen(8080, timeout=30),
    )
    code, output = box.run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null")
    assert ":1F90 " in output  # 8080 in hex


def test_container_that_exits_while_waited_for_fails_at_once(
    lab_container: ContainerFactory, busybox: str
) -> None:
    from toolkit.errors import StackError

    with pytest.raises(StackError, match=r"exited with code 3.*last log lines: boom"):
        lab_container(
            busybox, command=["sh", "-c", "echo boom; exit 3"], wait=ExecReady(["true"], timeout=60)
        )


def test_container_carries_the_runs_labels(
    lab_container: ContainerFactory, lab_engine: Runtime, busybox: str
) -> None:
    box = lab_container(busybox, command=["sleep", "600"])
    labels = lab_engine.inspect_container(box.id).labels
    assert labels["io.labkit.run"] and labels["io.labkit.owner"].endswith(f":{os.getpid()}")
    assert labels["io.labkit.project"].startswith("box-")


# ---------------------------------------------------------------- lab_stack


def test_stack_exec_ip_logs_check_and_solve(
    lab_stack: StackFactory, lab_engine: Runtime, compose_file: Path
) -> None:
    lab = lab_stack(compose_file)
    assert lab.exec("a", "hostname").exit_code == 0
    address = lab.ip("b", "lan")
    # 10.77.3.0/24 as written, or the free subnet the stack was renumbered to if that was taken:
    # either way the one the engine's network has, and the address inside it.
    subnet = lab.stack.networks["lan"].subnet
    assert subnet is not None
    assert lab_engine.inspect_network(naming.network_name(lab.project, "lan")).subnet == subnet
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    ping = lab.exec("a", ["sh", "-c", f"cat /proc/net/arp; ip route get {address}"])
    assert ping.exit_code == 0 and address in ping.stdout
    assert lab.logs("a") == ""
    before = lab.check()
    assert [r.passed for r in before.results] == [False, True]
    assert lab.solve().passed
    assert lab.check().passed


def test_stack_as_a_context_goes_down_at_the_end_of_the_block(
    lab_stack: StackFactory, lab_engine: Runtime, compose_file: Path
) -> None:
    with lab_stack(compose_file) as lab:
        assert lab.exec("b", ["true"]).exit_code == 0
    assert lab_engine.list_containers({"io.labkit.project": lab.project}) == []


@pytest.fixture(scope="module")
def shared(lab_stack_module: StackFactory, compose_file: Path) -> LabStack:
    return lab_stack_module(compose_file)


def test_module_stack_is_shared_first(shared: LabStack) -> None:
    assert shared.exec("a", "echo first > /tmp/mark").exit_code == 0


def test_module_stack_is_shared_second(shared: LabStack) -> None:
    assert shared.exec("a", "cat /tmp/mark").stdout == "first\n"


# ---------------------------------------------------------------- lab_image


@pytest.fixture(scope="session")
def debian(lab_engine: Runtime) -> str:
    """The course's Debian base on this engine, made offline if it is not there."""
    return bootstrapped_base(lab_engine)


def test_image_is_built_or_reused_and_cached(
    lab_image: Callable[..., str], lab_engine: Runtime, debian: str
) -> None:
    assert lab_engine.image_exists(debian)
    tag = lab_image("base", base="debian:bookworm")
    assert tag == "labkit/base:debian-bookworm"
    assert lab_engine.image_exists(tag)
    assert lab_image("base", base="debian:bookworm") is tag  # the run's cache: no second look
