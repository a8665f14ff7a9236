"""Pure conversions for the Docker adapter: specs into Engine API arguments, inspect JSON into specs.

Nothing here talks to the daemon; `Doc` documents never leave the Docker adapter's modules.
"""

from __future__ import annotations

import collections
import math
from typing import Any

from docker.types import Mount as DockerMount
from docker.types import Ulimit as DockerUlimit
from docker.utils import version_gte

from toolkit.runtime.specs import (
    ContainerInfo,
    ContainerSpec,
    ContainerState,
    HealthcheckSpec,
    HealthStatus,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    PortBinding,
    VolumeInfo,
)

Doc = dict[str, Any]  # an Engine API JSON document, only ever read inside the Docker adapter

_NS = 1_000_000_000


def label_filters(labels: LabelSelector) -> dict[str, list[str]]:
    """A label selector as the `filters` argument of the list calls."""
    return {"label": [key if value is None else f"{key}={value}" for key, value in labels.items()]}


def _seconds(value: Any) -> float | None:
    return value / _NS if value else None


def healthcheck(raw: Doc | None) -> HealthcheckSpec | None:
    """Docker's Config.Healthcheck (nanoseconds, 0 = default) as a HealthcheckSpec (seconds)."""
    if not raw or not raw.get("Test"):
        return None
    defaults = HealthcheckSpec(test=())
    return HealthcheckSpec(
        test=tuple(raw["Test"]),
        interval=_seconds(raw.get("Interval")) or defaults.interval,
        timeout=_seconds(raw.get("Timeout")) or defaults.timeout,
        retries=raw.get("Retries") or defaults.retries,
        start_period=_seconds(raw.get("StartPeriod")) or defaults.start_period,
        start_interval=_seconds(raw.get("StartInterval")) or defaults.start_interval,
    )


def healthcheck_payload(spec: HealthcheckSpec, api_version: str) -> Doc:
    """A HealthcheckSpec as the create call's healthcheck (nanoseconds)."""
    if spec.disabled:
        return {"Test": ["NONE"]}
    payload: Doc = {
        "Test": list(spec.test),
        "Interval": int(spec.interval * _NS),
        "Timeout": int(spec.timeout * _NS),
        "Retries": spec.retries,
        "StartPeriod": int(spec.start_period * _NS),
    }
    if version_gte(api_version, "1.44"):  # StartInterval is new in Docker 25
        payload["StartInterval"] = int(spec.start_interval * _NS)
    return payload


def image_info(raw: Doc) -> ImageInfo:
    """An image inspect document as ImageInfo."""
    config = raw.get("Config") or {}
    return ImageInfo(
        id=raw["Id"],
        tags=tuple(raw.get("RepoTags") or ()),
        labels=dict(config.get("Labels") or {}),
        created=str(raw.get("Created", "")),
        size=int(raw.get("Size") or 0),
        healthcheck=healthcheck(config.get("Healthcheck")),
    )


def engine_capabilities(raw: Doc) -> Doc:
    """EngineInfo's runtimes and log drivers from `GET /info`; the daemon checks log options."""
    default = raw.get("DefaultRuntime") or "runc"
    runtimes = [default, *sorted(name for name in raw.get("Runtimes") or {} if name != default)]
    # "none" is built in and never listed among the log plugins.
    drivers = ["none", *((raw.get("Plugins") or {}).get("Log") or [])]
    return {"runtimes": tuple(runtimes), "log_drivers": dict.fromkeys(drivers, None)}


def network_info(raw: Doc) -> NetworkInfo:
    """A network inspect (or list) document as NetworkInfo."""
    pools = (raw.get("IPAM") or {}).get("Config") or [{}]
    return NetworkInfo(
        id=raw["Id"],
        name=raw["Name"],
        subnet=pools[0].get("Subnet") or None,
        gateway=pools[0].get("Gateway") or None,
        internal=bool(raw.get("Internal")),
        labels=dict(raw.get("Labels") or {}),
    )


def volume_info(raw: Doc) -> VolumeInfo:
    """A volume create (or list) document as VolumeInfo."""
    return VolumeInfo(raw["Name"], dict(raw.get("Labels") or {}), raw.get("Mountpoint", ""))


def _published_ports(raw: Doc) -> tuple[PortBinding, ...]:
    found: dict[tuple[int, str, int, str], PortBinding] = {}
    for key, bindings in ((raw.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, protocol = key.partition("/")
        for binding in bindings or ():
            host_port = int(binding.get("HostPort") or 0)
            host_ip = binding.get("HostIp", "")
            found[(int(port), protocol, host_port, host_ip)] = PortBinding(
                int(port), "udp" if protocol == "udp" else "tcp", host_port or None, host_ip
            )
    return tuple(found.values())


def container_info(raw: Doc, health: HealthStatus | None) -> ContainerInfo:
    """A container inspect document as ContainerInfo, with health as the adapter settled it."""
    state = raw.get("State") or {}
    status = ContainerState(state.get("Status", "created"))
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    return ContainerInfo(
        id=raw["Id"],
        name=raw["Name"].lstrip("/"),
        image=(raw.get("Config") or {}).get("Image") or raw.get("Image", ""),
        state=status,
        exit_code=state.get("ExitCode") if status in (ContainerState.EXITED, ContainerState.DEAD) else None,
        labels=dict((raw.get("Config") or {}).get("Labels") or {}),
        ips={name: net["IPAddress"] for name, net in networks.items() if net.get("IPAddress")},
        ports=_published_ports(raw),
        health=health,
        started_at=state.get("StartedAt", ""),
    )


def host_config_args(spec: ContainerSpec) -> Doc:
    """The keyword arguments of `APIClient.create_host_config` for a ContainerSpec."""
    bindings: dict[str, list[Doc]] = collections.defaultdict(list)
    for port in spec.ports:
        bindings[f"{port.container_port}/{port.protocol}"].append(
            {"HostIp": port.host_ip, "HostPort": str(port.host_port or "")}
        )
    restart: Doc | None = None if spec.restart == "no" else {"Name": spec.restart}
    if restart is not None and spec.restart_retries is not None:
        restart["MaximumRetryCount"] = spec.restart_retries
    logging = spec.logging
    return {
        "network_mode": spec.network_mode or (spec.networks[0].network if spec.networks else None),
        "pid_mode": spec.pid_mode,
        "ipc_mode": spec.ipc_mode,
        "devices": list(spec.devices) or None,
        "dns": list(spec.dns) or None,
        "dns_search": list(spec.dns_search) or None,
        "dns_opt": list(spec.dns_opt) or None,
        "group_add": list(spec.group_add) or None,
        "shm_size": spec.shm_size,
        "extra_hosts": [f"{host}:{ip}" for host, ip in spec.extra_hosts] or None,
        "cap_add": list(spec.cap_add) or None,
        "cap_drop": list(spec.cap_drop) or None,
        "privileged": spec.privileged,
        "sysctls": dict(spec.sysctls) or None,
        "mounts": [
            DockerMount(m.target, m.source or None, type=m.kind, read_only=m.read_only) for m in spec.mounts
        ]
        or None,
        "port_bindings": dict(bindings) or None,
        "init": spec.init or None,
        "read_only": spec.read_only or None,
        "ulimits": [DockerUlimit(name=u.name, soft=u.soft, hard=u.hard) for u in spec.ulimits] or None,
        "mem_limit": spec.mem_limit,
        "nano_cpus": int(spec.cpus * _NS) if spec.cpus else None,
        "pids_limit": spec.pids_limit,
        "restart_policy": restart,
        "log_config": None
        if logging is None
        else {"Type": logging.driver or "", "Config": dict(logging.options)},  # "": the daemon's default
        "security_opt": list(spec.security_opt) or None,
        "runtime": spec.runtime,
    }


def create_args(spec: ContainerSpec, api_version: str) -> Doc:
    """The keyword arguments of `APIClient.create_container` but the host and networking configs."""
    return {
        "command": list(spec.command) if spec.command is not None else None,
        "entrypoint": list(spec.entrypoint) if spec.entrypoint is not None else None,
        "name": spec.name,
        "stop_signal": spec.stop_signal,
        "mac_address": spec.mac_address,
        "hostname": spec.hostname,
        "domainname": spec.domainname,
        "user": spec.user,
        "environment": dict(spec.environment) or None,
        "labels": dict(spec.labels) or None,
        "working_dir": spec.working_dir,
        "tty": spec.tty,
        "stdin_open": spec.stdin_open,
        "ports": [(p.container_port, p.protocol) for p in spec.ports] or None,
        "healthcheck": (healthcheck_payload(spec.healthcheck, api_version) if spec.healthcheck else None),
        "stop_timeout": math.ceil(spec.stop_timeout) if spec.stop_timeout is not None else None,
    }
