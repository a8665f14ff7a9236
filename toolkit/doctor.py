"""Host diagnosis for `labkit doctor`: what stops labkit from working here, and the fix for each.

Each check is a small function returning a `Finding`. Nothing here changes the host.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from toolkit.runtime.select import DOCKER_ROOTFUL, PODMAN_ROOTFUL, available_engines, identify_socket

Level = Literal["ok", "note", "problem"]
PROVISION = "scripts/provision-engines"
PODMAN_DEFAULT_NOFILE = 1048576  # podman's rootful default_ulimits when none is configured
CONTAINERS_CONF = (
    Path("/usr/share/containers/containers.conf"),
    Path("/etc/containers/containers.conf"),
)
CONTAINERS_CONF_D = Path("/etc/containers/containers.conf.d")


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    detail: str
    fix: str = ""


def _run(argv: list[str], timeout: float = 15.0) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def check_engines() -> Finding:
    engines = available_engines()
    if not engines:
        return Finding("engine", "problem", "no Docker or Podman API answers", f"run {PROVISION} as root")
    names = ", ".join(f"{e.name} ({e.socket})" for e in engines)
    return Finding("engine", "ok", f"answering: {names}")


def check_socket(name: str, path: str, start: str) -> Finding:
    """Whether engine `name` answers on `path`; `start` is how to start it when it does not."""
    if not os.path.exists(path):
        binary = shutil.which(name)
        if binary is None:
            return Finding(name, "note", f"{name} is not installed", f"run {PROVISION} as root")
        return Finding(
            name, "problem", f"{name} is installed but {path} does not exist", f"start it: {start}"
        )
    if not os.access(path, os.R_OK | os.W_OK):
        return Finding(
            name,
            "problem",
            f"no permission on {path}",
            "run as root, or add your user to the socket's group",
        )
    if identify_socket(path) is None:
        return Finding(
            name, "problem", f"{path} exists but nothing answers", f"restart {name}, or run {PROVISION}"
        )
    return Finding(name, "ok", f"{name} answers on {path}")


def _hybrid_cgroups() -> bool:
    return Path("/sys/fs/cgroup/unified").is_dir()


def check_podman_runtime() -> Finding:
    if shutil.which("podman") is None:
        return Finding("podman runtime", "note", "podman is not installed")
    result = _run(["podman", "info", "--format", "{{.Host.OCIRuntime.Name}}"])
    if result is None or result.returncode != 0:
        why = (result.stderr.strip().splitlines() or ["no answer"])[-1] if result else "no answer"
        return Finding("podman runtime", "problem", f"podman info fails: {why}", f"run {PROVISION}")
    runtime = result.stdout.strip()
    if runtime == "crun" and _hybrid_cgroups():
        return Finding(
            "podman runtime",
            "problem",
            "podman uses crun, which refuses this host's hybrid cgroups",
            f'set runtime = "runc" in a drop-in under {CONTAINERS_CONF_D} ({PROVISION} writes one)',
        )
    return Finding("podman runtime", "ok", f"podman uses {runtime}")


def configured_nofile(files: Iterable[Path]) -> int | None:
    """The hard nofile limit in the last containers.conf that sets default_ulimits, if any."""
    value: int | None = None
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        match = re.search(r'"nofile=(\d+):(\d+)"', text)
        if match:
            value = int(match.group(2))
    return value


def check_rlimits() -> Finding:
    if shutil.which("podman") is None:
        return Finding("rlimits", "note", "podman is not installed")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    dropins = sorted(CONTAINERS_CONF_D.glob("*.conf")) if CONTAINERS_CONF_D.is_dir() else []
    nofile = configured_nofile([*CONTAINERS_CONF, *dropins])
    effective = nofile if nofile is not None else PODMAN_DEFAULT_NOFILE
    if hard != resource.RLIM_INFINITY and effective > hard:
        return Finding(
            "rlimits",
            "problem",
            f"podman's containers get nofile {effective}, above this host's hard limit {hard}",
            f'set default_ulimits = ["nofile={hard}:{hard}"] in a drop-in under {CONTAINERS_CONF_D}',
        )
    return Finding("rlimits", "ok", f"podman's nofile {effective} is within the hard limit {hard}")


def check_debootstrap() -> Finding:
    if shutil.which("debootstrap") is None:
        return Finding(
            "debootstrap",
            "problem",
            "debootstrap is missing: offline base images cannot be made",
            "apt-get install debootstrap",
        )
    return Finding("debootstrap", "ok", "debootstrap is installed")


def check_registry(host: str = "registry-1.docker.io", timeout: float = 2.0) -> Finding:
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return Finding("registry", "ok", f"{host} is reachable")
    except OSError:
        return Finding(
            "registry",
            "note",
            "no container registry is reachable: images cannot be pulled",
            "make base images offline: labkit images bootstrap debian:bookworm --all-engines",
        )


CHECKS: tuple[Callable[[], Finding], ...] = (
    check_engines,
    lambda: check_socket("docker", DOCKER_ROOTFUL, start="dockerd &"),
    lambda: check_socket(
        "podman", PODMAN_ROOTFUL, start=f"podman system service --time=0 unix://{PODMAN_ROOTFUL} &"
    ),
    check_podman_runtime,
    check_rlimits,
    check_debootstrap,
    check_registry,
)


def diagnose() -> list[Finding]:
    """Run every check; the host is healthy when no finding is a problem."""
    return [check() for check in CHECKS]
