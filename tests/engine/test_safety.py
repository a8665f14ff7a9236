"""Safety on real engines: host access needs the exercise's `x-labkit.allow` AND the user's
--allow-privileged; labkit acts only on its own, labelled resources of the named project;
exercises get the engine's default capabilities plus what they declare, the same on both.

Already covered elsewhere: the policy itself (tests/unit/stack/test_safety.py), `down` sparing
a same-prefix foreign container and another project (test_stack_up.py), gc sparing foreign,
live and `labkit up` resources (test_gc.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.outcomes import BOUNDING_SET, host_limit
from toolkit.checks.project import renumber_if_clashing
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerSpec
from toolkit.stack import naming
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_stack_fixtures import leftovers, project_fixture  # noqa: F401  (the `project` fixture)

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def write_exercise(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compose.yaml").write_text(text)
    return folder


# ---------------------------------------------------------------- host access

EXERCISE = """\
x-labkit:
  title: asks for host access
{allow}
services:
  plain:
    image: {image}
    init: true
    command: ["sleep", "3600"]
  box:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    {request}
"""

# kind (for x-labkit.allow) -> (the service's request, words the refusal must say)
REQUESTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "privileged": ("privileged: true", ("privileged: true",)),
    "host-network": ("network_mode: host", ("network_mode",)),
    "host-pid": ("pid: host", ("pid",)),
    "host-ipc": ("ipc: host", ("ipc",)),
    "devices": ('devices: ["/dev/null:/dev/hostnull"]', ("devices",)),
    "engine-socket": ('volumes: ["/var/run/docker.sock:/var/run/docker.sock"]', ("/var/run/docker.sock",)),
    "engine-socket-in-folder": ('volumes: ["./docker.sock:/run/engine.sock"]', ("docker.sock", "socket")),
}


def exercise(tmp_path: Path, image: str, kind: str, *, allowed: bool) -> Path:
    request, _ = REQUESTS[kind]
    allow = f"  allow: [{kind.removesuffix('-in-folder')}]" if allowed else ""
    text = EXERCISE.format(image=image, allow=allow, request=request)
    folder = write_exercise(tmp_path / "hostaccess", text)
    (folder / "docker.sock").touch()  # a file named like an engine socket, inside the folder
    return folder


def refused(result: subprocess.CompletedProcess[str], words: tuple[str, ...]) -> str:
    """Exit 2, nothing on stdout, one line naming the service and what it asked for."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "box" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_host_access_is_refused(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path, kind: str
) -> None:
    """Refused with neither consent, and with only one of them. Nothing reaches the engine."""
    _, words = REQUESTS[kind]
    engine = ("-p", project, "--engine", runtime.name)
    bare = exercise(tmp_path / "bare", busybox_image, kind, allowed=False)
    listed = exercise(tmp_path / "listed", busybox_image, kind, allowed=True)
    refused(labkit("up", str(bare), *engine), words)
    line = refused(labkit("up", str(bare), *engine, "--allow-privileged"), words)
    assert "--allow-privileged alone is not enough" in line
    line = refused(labkit("up", str(listed), *engine), words)
    assert "pass --allow-privileged" in line
    # --allow-host-paths opens host folders, never an engine's socket.
    if kind == "engine-socket":
        line = refused(labkit("up", str(listed), *engine, "--allow-host-paths"), words)
        assert "pass --allow-privileged" in line
    assert leftovers(runtime, project) == []


def test_the_engine_socket_is_mounted_with_both_consents(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    """The host's engine socket, outside the exercise, runs when allowed twice over."""
    listed = exercise(tmp_path, busybox_image, "engine-socket", allowed=True)
    result = labkit("up", str(listed), "-p", project, "--engine", runtime.name, "--allow-privileged")
    assert result.returncode == 0, result.stderr
    box = naming.container_name(project, "box")
    assert runtime.exec(box, ["test", "-S", "/var/run/docker.sock"]).ok
    assert labkit("down", "-p", project, "--engine", runtime.name).returncode == 0
    assert leftovers(runtime, project) == []


def capability_set(field: str, status: str) -> int:
    """A capability set (CapEff, CapBnd, ...) from a /proc/PID/status text, as a bit mask."""
    line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1], 16)


def test_privileged_runs_with_both_consents(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    # The engines run in this machine's bounding set; a privileged container gets all of it.
    bounding = capability_set("CapBnd", Path("/proc/self/status").read_text())
    everything = (1 << (int(Path("/proc/sys/kernel/cap_last_cap").read_text()) + 1)) - 1
    if runtime.name == "docker" and bounding != everything:
        host_limit(
            BOUNDING_SET,
            f"here {bounding:#x} of {everything:#x}: runc fails to give a privileged container "
            "capabilities the host lacks",
        )
    listed = exercise(tmp_path, busybox_image, "privileged", allowed=True)
    result = labkit("up", str(listed), "-p", project, "--engine", runtime.name, "--allow-privileged")
    assert result.returncode == 0, result.stderr
    assert effective_capabilities(runtime, naming.container_name(project, "box")) == bounding
    plain = effective_capabilities(runtime, naming.container_name(project, "plain"))
    assert plain == mask(*DOCKER_DEFAULT.values())  # only the service that asked
    assert labkit("down", "-p", project, "--engine", runtime.name).returncode == 0
    assert leftovers(runtime, project) == []


# ---------------------------------------------------------------- host namespaces and devices

HOST_ACCESS = """\
x-labkit:
  title: shares the host's namespaces and devices
  allow: [host-network, host-pid, host-ipc, devices]
services:
  net:
    {common}
    network_mode: host
  lonely:
    {common}
    network_mode: none
    ipc: private
  pids:
    {common}
    pid: host
  ipc:
    {common}
    ipc: host
  dev:
    {common}
    devices: ["/dev/net/tun", "/dev/fuse:/dev/lab-fuse:rw"]
"""


@pytest.fixture(scope="module")
def host_access(
    runtime: Runtime, busybox_image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A stack whose services each share one host namespace or get host devices, up as a
    project of its own with both consents; removed after the module."""
    project = f"lkt-{uuid.uuid4().hex[:8]}"
    common = f'image: {busybox_image}\n    init: true\n    command: ["sleep", "3600"]'
    folder = write_exercise(tmp_path_factory.mktemp("hostns") / "hostns", HOST_ACCESS.format(common=common))
    try:
        result = labkit("up", str(folder), "-p", project, "--engine", runtime.name, "--allow-privileged")
        assert result.returncode == 0, result.stderr
        yield project
    finally:
        down(runtime, project, volumes=True)
    assert leftovers(runtime, project) == []


def namespace(runtime: Runtime, project: str, service: str, kind: str) -> str:
    """The inode of a namespace the service's processes are in, e.g. net:[4026531833]."""
    result = runtime.exec(naming.container_name(project, service), ["readlink", f"/proc/self/ns/{kind}"])
    assert result.ok, result.stderr
    return result.stdout.strip()


def host_namespace(kind: str) -> str:
    return os.readlink(f"/proc/self/ns/{kind}")


def test_network_mode_host_shares_the_hosts_network(runtime: Runtime, host_access: str) -> None:
    assert namespace(runtime, host_access, "net", "net") == host_namespace("net")
    assert namespace(runtime, host_access, "dev", "net") != host_namespace("net")
    assert runtime.inspect_container(naming.container_name(host_access, "net")).running


def test_network_mode_none_leaves_only_loopback(runtime: Runtime, host_access: str) -> None:
    assert namespace(runtime, host_access, "lonely", "net") != host_namespace("net")
    devices = runtime.exec(naming.container_name(host_access, "lonely"), ["cat", "/proc/net/dev"]).stdout
    assert [line.split(":")[0].strip() for line in devices.splitlines()[2:]] == ["lo"]


def test_pid_host_sees_the_hosts_processes(runtime: Runtime, host_access: str) -> None:
    assert namespace(runtime, host_access, "pids", "pid") == host_namespace("pid")
    # This test's own process, seen from inside the container.
    seen = runtime.exec(naming.container_name(host_access, "pids"), ["cat", f"/proc/{os.getpid()}/status"])
    assert seen.ok and f"Pid:\t{os.getpid()}" in seen.stdout, seen.stderr
    assert namespace(runtime, host_access, "dev", "pid") != host_namespace("pid")


def test_ipc_host_shares_the_hosts_ipc_namespace(runtime: Runtime, host_access: str) -> None:
    assert namespace(runtime, host_access, "ipc", "ipc") == host_namespace("ipc")
    assert namespace(runtime, host_access, "lonely", "ipc") != host_namespace("ipc")
    assert namespace(runtime, host_access, "dev", "ipc") != host_namespace("ipc")


def test_devices_appear_in_the_container(runtime: Runtime, host_access: str) -> None:
    container = naming.container_name(host_access, "dev")
    for path, host in (("/dev/net/tun", "/dev/net/tun"), ("/dev/lab-fuse", "/dev/fuse")):
        found = runtime.exec(container, ["stat", "-c", "%t:%T", path])
        assert found.ok, found.stderr
        number = os.stat(host).st_rdev
        assert found.stdout.strip() == f"{os.major(number):x}:{os.minor(number):x}", path
    # Opening the tun device reaches the driver (which wants an ioctl), not a permission error.
    opened = runtime.exec(container, ["cat", "/dev/net/tun"])
    assert "File descriptor in bad state" in opened.stderr, opened.stderr
    without = runtime.exec(naming.container_name(host_access, "ipc"), ["test", "-e", "/dev/lab-fuse"])
    assert without.exit_code != 0


# ---------------------------------------------------------------- only labkit's own resources

STACK = """\
services:
  web:
    image: {image}
    init: true
    command: ["sh", "-c", "echo {word} says hello; exec sleep 3600"]
    volumes: [data:/data]
volumes:
  data: {{}}
"""


@pytest.fixture
def neighbours(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Next to `project`'s stack: a container started outside labkit named `<project>-stray`
    (no labels) and another project, `<project>-b`, whose names share the prefix."""
    other = f"{project}-b"
    stray = f"{project}-stray"
    runtime.create_container(
        ContainerSpec(busybox_image, stray, command=("sh", "-c", "echo STRAY; exec sleep 3600"), init=True)
    )
    try:
        runtime.start_container(stray)
        for name, word in ((project, "MINE"), (other, "OTHER")):
            folder = write_exercise(tmp_path / name, STACK.format(image=busybox_image, word=word))
            result = labkit("up", str(folder), "-p", name, "--engine", runtime.name)
            assert result.returncode == 0, result.stderr
        yield {"other": other, "stray": stray, "folder": str(tmp_path / project)}
    finally:
        down(runtime, other, volumes=True)
        runtime.remove_container(stray, force=True)
    assert leftovers(runtime, other) == []


def test_every_resource_of_a_project_carries_its_label(
    runtime: Runtime, project: str, neighbours: dict[str, str]
) -> None:
    """Listed without a label filter, by name: everything but the stray is labelled."""
    found = [
        *((c.name, c.labels) for c in runtime.list_containers({})),
        *((n.name, n.labels) for n in runtime.list_networks({})),
        *((v.name, v.labels) for v in runtime.list_volumes({})),
    ]
    by_project = {n: labels.get(naming.LABEL_PROJECT) for n, labels in found if n.startswith(project)}
    other = neighbours["other"]
    assert by_project == {
        **{f"{project}-{key}": project for key in ("web", "default", "data")},
        **{f"{other}-{key}": other for key in ("web", "default", "data")},
        neighbours["stray"]: None,
    }


def test_ps_logs_down_and_gc_touch_only_the_named_project(
    runtime: Runtime, project: str, neighbours: dict[str, str]
) -> None:
    engine = ("--engine", runtime.name)
    listed = labkit("ps", "-p", project, "--json", *engine)
    assert listed.returncode == 0, listed.stderr
    assert [(row["project"], row["service"]) for row in json.loads(listed.stdout)] == [(project, "web")]

    logs = labkit("logs", neighbours["folder"], "-p", project, *engine)
    assert logs.returncode == 0, logs.stderr
    assert "MINE says hello" in logs.stdout
    assert "OTHER" not in logs.stdout and "STRAY" not in logs.stdout

    gc = labkit("gc", *engine)
    assert gc.returncode == 0, gc.stderr
    gone = labkit("down", "-p", project, "--volumes", *engine)
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout == f"project {project}: removed 1 container, 1 network, 1 volume\n"

    assert leftovers(runtime, project) == []
    assert runtime.inspect_container(neighbours["stray"]).running
    other = runtime.list_containers(naming.project_selector(neighbours["other"]))
    assert [(c.name, c.running) for c in other] == [(f"{neighbours['other']}-web", True)]
    assert [n.name for n in runtime.list_networks(naming.project_selector(neighbours["other"]))] == [
        f"{neighbours['other']}-default"
    ]
    assert [v.name for v in runtime.list_volumes(naming.project_selector(neighbours["other"]))] == [
        f"{neighbours['other']}-data"
    ]


# ---------------------------------------------------------------- capabilities

# Docker's default capability set (bit numbers from linux/capability.h): what an exercise
# container has on either engine before its own cap_add.
DOCKER_DEFAULT = {
    "CHOWN": 0,
    "DAC_OVERRIDE": 1,
    "FOWNER": 3,
    "FSETID": 4,
    "KILL": 5,
    "SETGID": 6,
    "SETUID": 7,
    "SETPCAP": 8,
    "NET_BIND_SERVICE": 10,
    "NET_RAW": 13,
    "SYS_CHROOT": 18,
    "MKNOD": 27,
    "AUDIT_WRITE": 29,
    "SETFCAP": 31,
}
NET_ADMIN = 12


def mask(*bits: int) -> int:
    return sum(1 << bit for bit in set(bits))


def effective_capabilities(runtime: Runtime, container: str) -> int:
    """CapEff of the container's PID 1, as a bit mask."""
    return capability_set("CapEff", runtime.exec(container, ["cat", "/proc/1/status"]).stdout)


def granted_capabilities(runtime: Runtime, container: str) -> int:
    """What the container grants root in it (its bounding set): course images run as student,
    who reaches these through sudo."""
    return capability_set("CapBnd", runtime.exec(container, ["cat", "/proc/1/status"]).stdout)


@pytest.fixture
def hostname_ip(runtime: Runtime, project: str) -> str:
    """The course's hostname-ip exercise up as `project` (in free subnets, if its own are taken):
    host1 declares cap_add NET_ADMIN, host2 nothing."""
    stack = load_stack(REPO / "compose" / "hostname-ip" / "compose.yaml")
    up(runtime, renumber_if_clashing(runtime, stack, project), project=project)
    return project


def test_exercise_containers_get_docker_defaults_plus_what_they_declare(
    runtime: Runtime, hostname_ip: str
) -> None:
    host1 = granted_capabilities(runtime, naming.container_name(hostname_ip, "host1"))
    host2 = granted_capabilities(runtime, naming.container_name(hostname_ip, "host2"))
    defaults = mask(*DOCKER_DEFAULT.values())
    assert host1 == defaults | mask(NET_ADMIN), f"{host1:x}"
    assert host2 == defaults, f"{host2:x}"
    assert not host2 & mask(NET_ADMIN)
    everything = (1 << (int(Path("/proc/sys/kernel/cap_last_cap").read_text()) + 1)) - 1
    assert everything not in (host1, host2)
