"""Translate containers between labkit's specs and libpod's documents, Docker's way.

`create_document` writes libpod's SpecGenerator directly: podman-py's `containers.create`
rejects `domainname` and `tmpfs` mounts and drops `nano_cpus`, and its `networks=` form is the
only one that honours static addresses anyway.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from toolkit.runtime.podman import refs as podman_refs
from toolkit.runtime.podman.errors import JSON
from toolkit.runtime.podman.images import healthcheck_spec
from toolkit.runtime.podman.options import options_document
from toolkit.runtime.specs import (
    ContainerInfo,
    ContainerSpec,
    ContainerState,
    HealthcheckSpec,
    HealthProbe,
    HealthStatus,
    PortBinding,
    signal_number,
)

# Docker's default capabilities that Podman's (containers.conf) lack. NET_RAW makes `ping`
# work; AUDIT_WRITE lets sshd and login write audit records; MKNOD completes Docker's set.
DOCKER_DEFAULT_CAPS = ("NET_RAW", "MKNOD", "AUDIT_WRITE")
# podman 4.3 replaces every default rlimit as soon as one is given, and then sets nofile and
# nproc to 1048576, which hosts without CAP_SYS_RESOURCE refuse: these two are always filled in.
FILLED_RLIMITS = ("nofile", "nproc")
# What Docker sets in every container network namespace of its own, and Podman 4.3 does not:
# any user may bind ports below 1024 (a course image's nginx and dnsmasq run as student) and
# open ICMP echo sockets.
DOCKER_NETNS_SYSCTLS = {
    "net.ipv4.ip_unprivileged_port_start": "0",
    "net.ipv4.ping_group_range": "0 2147483647",
}
CPU_PERIOD = 100_000  # microseconds, as Docker's --cpus uses
_NANOSECONDS = 1_000_000_000
_STATES = {
    "created": ContainerState.CREATED,
    "configured": ContainerState.CREATED,
    "initialized": ContainerState.CREATED,
    "running": ContainerState.RUNNING,
    "stopping": ContainerState.RUNNING,
    "paused": ContainerState.PAUSED,
    "restarting": ContainerState.RESTARTING,
    "exited": ContainerState.EXITED,
    "stopped": ContainerState.EXITED,
    "removing": ContainerState.REMOVING,
    "dead": ContainerState.DEAD,
}
_HEALTH: dict[str, HealthStatus] = {
    "starting": "starting",
    "healthy": "healthy",
    "unhealthy": "unhealthy",
}


def _cap(name: str) -> str:
    return name.upper().removeprefix("CAP_")


def capabilities(spec: ContainerSpec) -> tuple[list[str], list[str]]:
    """(cap_add, cap_drop) with Docker's defaults restored unless the spec drops them."""
    add = [_cap(c) for c in spec.cap_add]
    drop = [_cap(c) for c in spec.cap_drop]
    if not spec.privileged and "ALL" not in drop:
        add += [c for c in DOCKER_DEFAULT_CAPS if c not in drop and c not in add]
    return add, drop


def healthcheck_document(check: HealthcheckSpec) -> JSON:
    """A HealthcheckSpec as Docker's health config (nanoseconds)."""
    if check.disabled:
        return {"Test": ["NONE"]}
    test = list(check.test)
    if test[0] not in ("CMD", "CMD-SHELL"):
        test.insert(0, "CMD")  # Docker reads a bare command list as CMD
    return {
        "Test": test,
        "Interval": int(check.interval * _NANOSECONDS),
        "Timeout": int(check.timeout * _NANOSECONDS),
        "Retries": check.retries,
        "StartPeriod": int(check.start_period * _NANOSECONDS),
    }


def create_document(spec: ContainerSpec, image: str, default_rlimits: Mapping[str, tuple[int, int]]) -> JSON:
    """libpod's SpecGenerator for a ContainerSpec; `image` is the resolved reference.

    Long on purpose: one line per SpecGenerator field, in the document's own order, so the
    whole mapping reads in one place; each Docker-compatibility choice is commented inline.
    """
    cap_add, cap_drop = capabilities(spec)
    # The network namespace's sysctls are the host's to keep with network_mode host, and
    # Podman refuses them without a network namespace of the container's own.
    netns_sysctls = DOCKER_NETNS_SYSCTLS if spec.network_mode is None else {}
    sysctls = {**netns_sysctls, **spec.sysctls}
    if spec.domainname:
        # libpod 4.3 has no domainname field; Docker sets exactly this UTS-namespace value.
        sysctls.setdefault("kernel.domainname", spec.domainname)
    document: JSON = {
        "name": spec.name,
        "image": image,
        "raw_image_name": spec.image,
        "labels": dict(spec.labels),
        "env": dict(spec.environment),
        "terminal": spec.tty,
        "stdin": spec.stdin_open,
        # Podman refuses an init process outside a PID namespace of the container's own; there
        # the command is not PID 1, so signals reach it as usual (Docker's init is harmless).
        "init": spec.init and spec.pid_mode is None,
        "privileged": spec.privileged,
        "read_only_filesystem": spec.read_only,
        "cap_add": cap_add,
        "cap_drop": cap_drop,
        "sysctl": sysctls,
        "dns_server": list(spec.dns),
        "hostadd": [f"{host}:{ip}" for host, ip in spec.extra_hosts],
        "portmappings": [_port(p) for p in spec.ports],
        "mounts": [
            _mount(m.kind, m.source, m.target, m.read_only) for m in spec.mounts if m.kind != "volume"
        ],
        "volumes": [_volume(m.source, m.target, m.read_only) for m in spec.mounts if m.kind == "volume"],
        "netns": {"nsmode": spec.network_mode or "bridge"},
        "devices": [{"path": device} for device in spec.devices],
    }
    if spec.pid_mode:
        document["pidns"] = {"nsmode": spec.pid_mode}
    if spec.ipc_mode:
        document["ipcns"] = {"nsmode": spec.ipc_mode}
    optional: JSON = {
        "hostname": spec.hostname,
        "command": list(spec.command) if spec.command is not None else None,
        "entrypoint": list(spec.entrypoint) if spec.entrypoint is not None else None,
        "work_dir": spec.working_dir,
        # Docker creates a missing working directory; Podman 4.3 only does when asked.
        "create_working_dir": True if spec.working_dir else None,
        "user": spec.user,
        "stop_timeout": math.ceil(spec.stop_timeout) if spec.stop_timeout is not None else None,
        "restart_policy": spec.restart if spec.restart != "no" else None,
        "healthconfig": healthcheck_document(spec.healthcheck) if spec.healthcheck else None,
        # libpod takes the signal's number (Docker its name).
        "stop_signal": signal_number(spec.stop_signal) if spec.stop_signal else None,
        "dns_search": list(spec.dns_search) or None,
        "dns_option": list(spec.dns_opt) or None,
        "groups": list(spec.group_add) or None,
        "shm_size": spec.shm_size,
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    document.update(options_document(spec))
    if spec.networks:
        # Static addresses only work here: Network.connect ignores ipv4_address on podman 4.3.
        document["Networks"] = {
            attachment.network: {
                "static_ips": [attachment.ipv4_address] if attachment.ipv4_address else [],
                "aliases": list(attachment.aliases),
                # Docker 20.10 gives a container's MAC address to its first interface.
                **({"static_mac": spec.mac_address} if spec.mac_address and position == 0 else {}),
                # Named explicitly: libpod would number them in its own order.
                **({"interface_name": attachment.interface_name} if attachment.interface_name else {}),
            }
            for position, attachment in enumerate(spec.networks)
        }
    if spec.ulimits:
        limits = {u.name: (u.soft, u.hard) for u in spec.ulimits}
        for name in FILLED_RLIMITS:
            if name not in limits and name in default_rlimits:
                limits[name] = default_rlimits[name]
        document["r_limits"] = [
            {"type": name, "soft": soft, "hard": hard} for name, (soft, hard) in limits.items()
        ]
    resources = _resources(spec)
    if resources:
        document["resource_limits"] = resources
    return document


def _port(port: PortBinding) -> JSON:
    mapping: JSON = {"container_port": port.container_port, "protocol": port.protocol}
    if port.host_port is not None:
        mapping["host_port"] = port.host_port  # absent: Podman picks a free port, as Docker does
    if port.host_ip:
        mapping["host_ip"] = port.host_ip
    return mapping


def _volume(name: str, target: str, read_only: bool) -> JSON:
    volume: JSON = {"Name": name, "Dest": target, "Options": ["ro"] if read_only else []}
    if not name:
        # Marked anonymous, it goes with its container on removal with volumes, as on Docker.
        volume["IsAnonymous"] = True
    return volume


def _mount(kind: str, source: str, target: str, read_only: bool) -> JSON:
    options = ["ro"] if read_only else []
    if kind == "bind":
        return {"type": "bind", "source": source, "destination": target, "options": ["rbind", *options]}
    return {"type": "tmpfs", "source": "tmpfs", "destination": target, "options": options}


def _resources(spec: ContainerSpec) -> JSON:
    resources: JSON = {}
    if spec.mem_limit is not None:
        resources["memory"] = {"limit": spec.mem_limit}
    if spec.cpus is not None:
        resources["cpu"] = {"quota": int(spec.cpus * CPU_PERIOD), "period": CPU_PERIOD}
    if spec.pids_limit is not None:
        resources["pids"] = {"limit": spec.pids_limit}
    return resources


def default_rlimits(document: JSON) -> dict[str, tuple[int, int]]:
    """The engine's default rlimits, read from a container created without any."""
    limits: dict[str, tuple[int, int]] = {}
    for entry in (document.get("HostConfig") or {}).get("Ulimits") or []:
        name = str(entry.get("Name", "")).lower().removeprefix("rlimit_")
        limits[name] = (int(entry.get("Soft", 0)), int(entry.get("Hard", 0)))
    return limits


# ---------------------------------------------------------------- inspection


def container_healthcheck(document: JSON) -> HealthcheckSpec | None:
    """The container's effective healthcheck, or None when it has none (or it is disabled)."""
    check = healthcheck_spec((document.get("Config") or {}).get("Healthcheck"))
    return None if check is None or check.disabled else check


def stored_health(document: JSON) -> HealthStatus | None:
    """The health Docker would report from Podman's stored status.

    None without a healthcheck or before the first start; `unhealthy` once the container has
    stopped, as Docker marks a stopped container.
    """
    if container_healthcheck(document) is None:
        return None
    state = _state(document)
    if state in _FINISHED:
        return "unhealthy"
    status = str(((document.get("State") or {}).get("Health") or {}).get("Status") or "")
    if status in _HEALTH:
        return _HEALTH[status]
    return "starting" if state is ContainerState.RUNNING else None


def needs_probe(document: JSON, now: datetime | None = None) -> bool:
    """Whether labkit must run a probe to know the health Docker would report now.

    Without systemd Podman never probes by itself: its status stays `starting`, or goes stale
    once the last probe is older than the interval.
    """
    check = container_healthcheck(document)
    if check is None or _state(document) is not ContainerState.RUNNING:
        return False
    health: JSON = (document.get("State") or {}).get("Health") or {}
    if health.get("Status") not in ("healthy", "unhealthy"):
        return True
    log = health.get("Log") or []
    last = parse_timestamp(str(log[-1].get("End", ""))) if log else None
    if last is None:
        return True
    elapsed = ((now or datetime.now(UTC)) - last).total_seconds()
    return elapsed >= check.interval


def last_probe(document: JSON, since: datetime) -> HealthProbe | None:
    """The probe Podman recorded last, if it started at `since` or later (1 s of slack)."""
    log = ((document.get("State") or {}).get("Health") or {}).get("Log") or []
    if not log:
        return None
    last: JSON = log[-1]
    started = parse_timestamp(str(last.get("Start", "")))
    if started is None or (since - started).total_seconds() > 1.0:
        return None
    exit_code = int(last.get("ExitCode", -1))
    output = str(last.get("Output", ""))
    if exit_code == -1:  # Podman's mark for a probe past its timeout, as Docker's
        check = container_healthcheck(document)
        limit = f" after {check.timeout:g} s" if check else ""
        output = f"healthcheck timed out{limit}\n{output}"
    return HealthProbe(passed=exit_code == 0, exit_code=exit_code, output=output)


def container_info(document: JSON, health: HealthStatus | None) -> ContainerInfo:
    """A libpod container document as labkit's ContainerInfo."""
    state = _state(document)
    state_document: JSON = document.get("State") or {}
    exit_code = state_document.get("ExitCode")
    settings: JSON = document.get("NetworkSettings") or {}
    networks: JSON = settings.get("Networks") or {}
    return ContainerInfo(
        id=str(document.get("Id", "")),
        name=str(document.get("Name", "")).lstrip("/"),
        image=podman_refs.familiar(str(document.get("ImageName") or document.get("Image", ""))),
        state=state,
        exit_code=int(exit_code) if exit_code is not None and state in _FINISHED else None,
        labels=dict((document.get("Config") or {}).get("Labels") or {}),
        ips={
            name: str(network.get("IPAddress"))
            for name, network in networks.items()
            if network.get("IPAddress")
        },
        ports=_published_ports(settings.get("Ports") or {}),
        health=health,
        started_at=str(state_document.get("StartedAt", "")),
    )


_FINISHED = (ContainerState.EXITED, ContainerState.DEAD)
_PORT_KEY = re.compile(r"^(\d+)/(tcp|udp)$")


def _state(document: JSON) -> ContainerState:
    status = str((document.get("State") or {}).get("Status", "")).lower()
    return _STATES.get(status, ContainerState.DEAD)


def _published_ports(ports: JSON) -> tuple[PortBinding, ...]:
    found: list[PortBinding] = []
    for key, bindings in ports.items():
        match = _PORT_KEY.match(key)
        if match is None:
            continue
        protocol: Literal["tcp", "udp"] = "udp" if match.group(2) == "udp" else "tcp"
        for binding in bindings or []:
            host_port = binding.get("HostPort")
            found.append(
                PortBinding(
                    container_port=int(match.group(1)),
                    protocol=protocol,
                    host_port=int(host_port) if host_port else None,
                    host_ip=str(binding.get("HostIp") or "0.0.0.0"),
                )
            )
    return tuple(found)


def parse_timestamp(text: str) -> datetime | None:
    """An RFC 3339 time with nanoseconds, as Podman writes them; None if unreadable."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text.strip())
    if match is None:
        return None
    fraction = (match.group(2) or ".0")[:7]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    try:
        return datetime.fromisoformat(match.group(1) + fraction + zone)
    except ValueError:
        return None
