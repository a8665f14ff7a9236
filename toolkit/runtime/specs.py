"""The values that cross the engine seam: frozen inputs (specs) and results (infos).

Durations are seconds (float), sizes are bytes (int). Mappings are read-only by convention:
callers build them once and never mutate them after handing them over.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

EngineName = Literal["docker", "podman"]
ENGINE_NAMES: tuple[EngineName, ...] = ("docker", "podman")

# A label selector: key -> required value, or None for "the key is present".
LabelSelector = Mapping[str, str | None]


@dataclass(frozen=True)
class EngineInfo:
    name: EngineName
    version: str
    api_version: str
    rootless: bool
    socket: str
    os: str = ""
    arch: str = ""
    # OCI runtimes a container may name, the engine's default first.
    runtimes: tuple[str, ...] = ()
    # Log drivers a container may name -> the options each takes (None: the engine checks them).
    log_drivers: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)


# ---------------------------------------------------------------- images


@dataclass(frozen=True)
class HealthcheckSpec:
    """A healthcheck in Compose terms: ("CMD", argv...), ("CMD-SHELL", cmd) or ("NONE",)."""

    test: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0
    start_interval: float = 5.0

    @property
    def disabled(self) -> bool:
        return not self.test or self.test[0] == "NONE"

    def argv(self) -> tuple[str, ...]:
        """The command a probe runs, as argv."""
        if self.disabled:
            return ()
        kind, *rest = self.test
        if kind == "CMD-SHELL":
            return ("/bin/sh", "-c", " ".join(rest))
        if kind == "CMD":
            return tuple(rest)
        # Docker stores a bare command list without a CMD prefix as if CMD were there.
        return self.test


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    created: str = ""
    size: int = 0
    healthcheck: HealthcheckSpec | None = None


@dataclass(frozen=True)
class BuildSpec:
    """Build an image from a Containerfile.

    `containerfile` is relative to `context` unless absolute; None means `Containerfile` or
    `Dockerfile` in the context, whichever exists.
    """

    context: Path
    tags: tuple[str, ...]
    containerfile: Path | None = None
    build_args: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    no_cache: bool = False


# ---------------------------------------------------------------- networks and volumes


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    subnet: str | None = None
    gateway: str | None = None
    internal: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkInfo:
    id: str
    name: str
    subnet: str | None
    gateway: str | None
    internal: bool
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeSpec:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    driver_opts: Mapping[str, str] = field(default_factory=dict)  # the local driver's (type, o, device)


@dataclass(frozen=True)
class VolumeInfo:
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    mountpoint: str = ""


# ---------------------------------------------------------------- containers


@dataclass(frozen=True)
class NetworkAttachment:
    network: str
    ipv4_address: str | None = None
    aliases: tuple[str, ...] = ()
    # The container's interface on this network; None: the engine's next ethN. A container's
    # attachments are in interface order (eth0's first).
    interface_name: str | None = None


@dataclass(frozen=True)
class Mount:
    """A bind mount (source is a host path), a named volume or a tmpfs (source empty)."""

    kind: Literal["bind", "volume", "tmpfs"]
    target: str
    source: str = ""
    read_only: bool = False


@dataclass(frozen=True)
class PortBinding:
    container_port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    host_port: int | None = None  # None: the engine picks a free port
    host_ip: str = ""


@dataclass(frozen=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class LoggingSpec:
    """Compose's `logging`: a log driver (None: the engine's default) and its options."""

    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


RestartPolicy = Literal["no", "always", "on-failure", "unless-stopped"]
NetworkMode = Literal["host", "none"]  # None on a spec: the container joins `networks`
PidMode = Literal["host"]  # None: a PID namespace of its own
IpcMode = Literal["host", "private", "shareable"]  # None: the engine's default


@dataclass(frozen=True, kw_only=True)
class ContainerSettings:
    """The settings a container takes as written: the same in a Compose service and a spec.

    The stack model's Service extends this class, so the loader fills these fields once and
    the orchestrator hands them over unchanged (`settings_of`); what a spec derives from a
    service (names, labels, networks, mounts, ports) lives on ContainerSpec alone.
    """

    hostname: str | None = None
    domainname: str | None = None
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    dns: tuple[str, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()  # (hostname, ip)
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    privileged: bool = False
    sysctls: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    init: bool = False
    tty: bool = False
    stdin_open: bool = False
    healthcheck: HealthcheckSpec | None = None  # None: the image's own, if any
    read_only: bool = False
    ulimits: tuple[Ulimit, ...] = ()
    mem_limit: int | None = None
    cpus: float | None = None
    pids_limit: int | None = None
    restart: RestartPolicy = "no"
    # Host devices as Compose writes them, "host[:container[:permissions]]" (both paths absolute,
    # permissions of r, w and m); both engines take this form as it is.
    devices: tuple[str, ...] = ()
    stop_signal: str | None = None  # a name (SIGINT, INT) or a number; None: the image's
    dns_search: tuple[str, ...] = ()
    dns_opt: tuple[str, ...] = ()
    group_add: tuple[str, ...] = ()  # supplementary groups, by name or number
    shm_size: int | None = None  # bytes of /dev/shm; None: the engine's 64 MiB
    mac_address: str | None = None  # of the first interface (eth0), as Docker 20.10 sets it
    logging: LoggingSpec | None = None  # None: the engine's default driver
    # Docker's spellings ("no-new-privileges", "seccomp=unconfined", "apparmor=NAME",
    # "label=disable"); runtime/security.py reads them for the engine that needs them apart.
    security_opt: tuple[str, ...] = ()
    runtime: str | None = None  # the OCI runtime; None: the engine's default
    restart_retries: int | None = None  # with restart "on-failure": at most this many restarts


def signal_number(name: str) -> int | None:
    """The number of a signal written as a name (SIGINT, INT, sigint) or a number; None: unknown."""
    if name.isdigit():
        return int(name)
    spelled = name.upper() if name.upper().startswith("SIG") else f"SIG{name.upper()}"
    found = getattr(signal, spelled, None)
    return int(found) if isinstance(found, signal.Signals) else None


def settings_of(source: ContainerSettings) -> dict[str, Any]:
    """The ContainerSettings fields of `source` (a Service or a spec), as keyword arguments."""
    return {item.name: getattr(source, item.name) for item in fields(ContainerSettings)}


@dataclass(frozen=True)
class ContainerSpec(ContainerSettings):
    """A container to create: its settings plus what the engine needs to name and place it."""

    image: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    networks: tuple[NetworkAttachment, ...] = ()
    mounts: tuple[Mount, ...] = ()
    ports: tuple[PortBinding, ...] = ()
    stop_timeout: float | None = None
    # Namespaces shared with the host (or none at all): host access, which the stack's safety
    # policy allows only when both the exercise and the user do.
    network_mode: NetworkMode | None = None
    pid_mode: PidMode | None = None
    ipc_mode: IpcMode | None = None


class ContainerState(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    EXITED = "exited"
    DEAD = "dead"
    REMOVING = "removing"


HealthStatus = Literal["starting", "healthy", "unhealthy"]


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    image: str
    state: ContainerState
    exit_code: int | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ips: Mapping[str, str] = field(default_factory=dict)  # network name -> IPv4 address
    ports: tuple[PortBinding, ...] = ()  # published ports with the host port chosen
    health: HealthStatus | None = None  # None: the container has no healthcheck
    started_at: str = ""

    @property
    def running(self) -> bool:
        return self.state is ContainerState.RUNNING


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class HealthProbe:
    """The result of one healthcheck probe that labkit ran."""

    passed: bool
    exit_code: int
    output: str
