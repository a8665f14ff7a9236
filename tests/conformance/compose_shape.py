"""One comparable shape for a labkit `Stack` and for `docker compose config --format json`.

Only the fields labkit supports are kept. Both sides are brought to the same conventions:
durations in seconds, sizes in bytes, Compose's defaults filled in, lists that Compose sorts
sorted, services of inactive profiles and networks and volumes no service uses left out
(Compose's `config` leaves them out too).
"""

from __future__ import annotations

import os
from typing import Any

from toolkit.stack.compose.file_objects import default_target
from toolkit.stack.compose.units import parse_duration
from toolkit.stack.model import Service, Stack

Shape = dict[str, Any]


# ---------------------------------------------------------------- labkit's side


def from_stack(stack: Stack) -> Shape:
    services = {name: _service(service) for name, service in stack.services.items()}  # active ones
    used = {net for service in services.values() for net in service["networks"]}
    mounted = {
        mount["source"]
        for service in services.values()
        for mount in service["volumes"]
        if mount["type"] == "volume"
    }
    return {
        "name": stack.name,
        "services": services,
        "networks": {
            name: {
                "driver": network.driver,
                "subnet": network.subnet,
                "gateway": network.gateway,
                "internal": network.internal,
                "labels": dict(network.labels),
                "name": network.explicit_name,
                "external": network.external,
            }
            for name, network in stack.networks.items()
            if name in used
        },
        "volumes": {
            name: {
                "labels": dict(volume.labels),
                "name": volume.explicit_name,
                "driver_opts": dict(volume.driver_opts),
            }
            for name, volume in stack.volumes.items()
            if name in mounted
        },
        **{
            kind: {
                name: os.path.normpath(path)
                for name, path in files.items()
                if any(m["source"] == name for s in services.values() for m in s[kind])
            }
            for kind, files in (("secrets", stack.secrets), ("configs", stack.configs))
        },
    }


def _service(service: Service) -> Shape:
    health = service.healthcheck
    healthcheck: Shape | None = None
    if health is not None:
        healthcheck = (
            {"test": ["NONE"]}
            if health.disabled
            else {
                "test": list(health.test),
                "interval": health.interval,
                "timeout": health.timeout,
                "retries": health.retries,
                "start_period": health.start_period,
                "start_interval": health.start_interval,
            }
        )
    build = service.build
    return {
        "image": service.image,
        "build": None
        if build is None
        else {
            "context": str(build.context),
            "dockerfile": build.dockerfile or "Dockerfile",
            "args": dict(build.args),
            "target": build.target,
            "dockerfile_inline": build.dockerfile_inline,
            "labels": dict(build.labels),
            "platforms": list(build.platforms),
        },
        "command": None if service.command is None else list(service.command),
        "entrypoint": None if service.entrypoint is None else list(service.entrypoint),
        "environment": dict(service.environment),
        "hostname": service.hostname,
        "domainname": service.domainname,
        "networks": {
            attachment.network: {
                "ipv4_address": attachment.ipv4_address,
                "aliases": sorted(attachment.aliases),
            }
            for attachment in service.networks
        },
        "dns": list(service.dns),
        "extra_hosts": sorted(f"{host}={address}" for host, address in service.extra_hosts),
        "cap_add": sorted(service.cap_add),
        "cap_drop": sorted(service.cap_drop),
        "privileged": service.privileged,
        "sysctls": dict(service.sysctls),
        "volumes": [
            {
                "type": mount.type,
                "source": os.path.normpath(mount.source) if mount.type == "bind" else mount.source,
                "target": mount.target,
                "read_only": mount.read_only,
            }
            for mount in service.volumes
        ],
        "ports": [
            {
                "target": port.target,
                "published": port.published,
                "host_ip": port.host_ip,
                "protocol": port.protocol,
            }
            for port in service.ports
        ],
        "expose": sorted(service.expose),
        "working_dir": service.working_dir,
        "user": service.user,
        "init": service.init,
        "tty": service.tty,
        "stdin_open": service.stdin_open,
        "labels": dict(service.labels),
        "healthcheck": healthcheck,
        "depends_on": {
            dependency.service: {
                "condition": dependency.condition,
                "required": dependency.required,
                "restart": dependency.restart,
            }
            for dependency in service.depends_on
        },
        "links": sorted(f"{link.service}:{link.alias}" for link in service.links),
        "profiles": sorted(service.profiles),
        "restart": service.restart
        if service.restart_retries is None
        else f"{service.restart}:{service.restart_retries}",
        "stop_grace_period": service.stop_grace_period,
        "pull_policy": service.pull_policy,
        "ulimits": {limit.name: [limit.soft, limit.hard] for limit in service.ulimits},
        "mem_limit": service.mem_limit,
        "cpus": service.cpus,
        "pids_limit": service.pids_limit,
        "read_only": service.read_only,
        "tmpfs": list(service.tmpfs),
        "network_mode": service.network_mode,
        "container_name": service.container_name,
        "stop_signal": service.stop_signal,
        "dns_search": list(service.dns_search),
        "dns_opt": list(service.dns_opt),
        "group_add": list(service.group_add),
        "shm_size": service.shm_size,
        "mac_address": service.mac_address,
        "platform": service.platform,
        "secrets": [{"source": m.source, "target": m.target} for m in service.secrets],
        "configs": [{"source": m.source, "target": m.target} for m in service.configs],
        "pid": service.pid,
        "ipc": service.ipc,
        "devices": list(service.devices),
        "logging": None
        if service.logging is None
        else {"driver": service.logging.driver, "options": dict(service.logging.options)},
        "security_opt": list(service.security_opt),
        "runtime": service.runtime,
    }


# ---------------------------------------------------------------- Compose's side


def from_compose(config: Shape) -> Shape:
    config = _unescape(config)
    services = {name: _compose_service(raw) for name, raw in config.get("services", {}).items()}
    used = {net for service in services.values() for net in service["networks"]}
    networks = {}
    for name, raw in (config.get("networks") or {}).items():
        if name not in used:
            continue
        raw = raw or {}
        ipam = (raw.get("ipam") or {}).get("config") or [{}]
        networks[name] = {
            "driver": raw.get("driver", "bridge"),
            "subnet": ipam[0].get("subnet"),
            "gateway": ipam[0].get("gateway"),
            "internal": bool(raw.get("internal", False)),
            "labels": raw.get("labels") or {},
            "name": _explicit(raw.get("name"), config["name"], name),
            "external": bool(raw.get("external", False)),
        }
    return {
        "name": config["name"],
        "services": services,
        "networks": networks,
        "volumes": {
            name: {
                "labels": (raw or {}).get("labels") or {},
                "name": _explicit((raw or {}).get("name"), config["name"], name),
                "driver_opts": {k: str(v) for k, v in ((raw or {}).get("driver_opts") or {}).items()},
            }
            for name, raw in (config.get("volumes") or {}).items()
        },
        **{
            kind: {
                name: os.path.normpath(raw["file"])
                for name, raw in (config.get(kind) or {}).items()
                if any(m["source"] == name for s in services.values() for m in s[kind])
            }
            for kind in ("secrets", "configs")
        },
    }


def _compose_service(raw: Shape) -> Shape:
    limits = ((raw.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    build = raw.get("build")
    return {
        "image": raw.get("image"),
        "build": None
        if build is None
        else {
            "context": build["context"],
            "dockerfile": build.get("dockerfile") or "Dockerfile",
            "args": {k: v for k, v in (build.get("args") or {}).items() if v is not None},
            "target": build.get("target"),
            "dockerfile_inline": build.get("dockerfile_inline"),
            "labels": build.get("labels") or {},
            "platforms": build.get("platforms") or [],
        },
        "command": raw.get("command"),
        "entrypoint": raw.get("entrypoint"),
        "environment": {k: v for k, v in (raw.get("environment") or {}).items() if v is not None},
        "hostname": raw.get("hostname"),
        "domainname": raw.get("domainname"),
        "networks": {
            name: {
                "ipv4_address": (settings or {}).get("ipv4_address"),
                "aliases": sorted((settings or {}).get("aliases") or []),
            }
            for name, settings in (raw.get("networks") or {}).items()
        },
        "dns": raw.get("dns") or [],
        "extra_hosts": sorted(raw.get("extra_hosts") or []),
        "cap_add": sorted(raw.get("cap_add") or []),
        "cap_drop": sorted(raw.get("cap_drop") or []),
        "privileged": bool(raw.get("privileged", False)),
        "sysctls": raw.get("sysctls") or {},
        "volumes": [
            {
                "type": mount["type"],
                "source": os.path.normpath(mount["source"])
                if mount["type"] == "bind"
                else mount.get("source", ""),
                "target": mount["target"],
                "read_only": bool(mount.get("read_only", False)),
            }
            for mount in raw.get("volumes") or []
        ],
        "ports": [
            {
                "target": port["target"],
                "published": int(port["published"]) if port.get("published") else None,
                "host_ip": port.get("host_ip", ""),
                "protocol": port.get("protocol", "tcp"),
            }
            for port in raw.get("ports") or []
        ],
        "expose": sorted(raw.get("expose") or []),
        "working_dir": raw.get("working_dir"),
        "user": raw.get("user"),
        "init": bool(raw.get("init", False)),
        "tty": bool(raw.get("tty", False)),
        "stdin_open": bool(raw.get("stdin_open", False)),
        "labels": raw.get("labels") or {},
        "healthcheck": _compose_healthcheck(raw.get("healthcheck")),
        "depends_on": {
            name: {
                "condition": dep["condition"],
                "required": dep.get("required", True),
                "restart": bool(dep.get("restart", False)),
            }
            for name, dep in (raw.get("depends_on") or {}).items()
        },
        "links": sorted(link if ":" in link else f"{link}:{link}" for link in raw.get("links") or []),
        "profiles": sorted(raw.get("profiles") or []),
        "restart": raw.get("restart") or _deploy_restart((raw.get("deploy") or {}).get("restart_policy")),
        "stop_grace_period": _seconds(raw.get("stop_grace_period")),
        "pull_policy": raw.get("pull_policy"),
        "ulimits": {
            name: [value, value] if isinstance(value, int) else [value["soft"], value["hard"]]
            for name, value in (raw.get("ulimits") or {}).items()
        },
        "mem_limit": _int(raw.get("mem_limit") or limits.get("memory")),
        "cpus": raw.get("cpus") or limits.get("cpus"),
        "pids_limit": raw.get("pids_limit") or limits.get("pids"),
        "read_only": bool(raw.get("read_only", False)),
        "tmpfs": raw.get("tmpfs") or [],
        "network_mode": raw.get("network_mode"),
        "container_name": raw.get("container_name"),
        "stop_signal": raw.get("stop_signal"),
        "dns_search": _listed(raw.get("dns_search")),
        "dns_opt": raw.get("dns_opt") or [],
        "group_add": [str(group) for group in raw.get("group_add") or []],
        "shm_size": _int(raw.get("shm_size")),
        "mac_address": (raw.get("mac_address") or "").lower() or None,
        "platform": raw.get("platform"),
        **{
            kind: [
                {"source": ref["source"], "target": default_target(kind, ref["source"], ref.get("target"))}
                for ref in raw.get(kind) or []
            ]
            for kind in ("secrets", "configs")
        },
        "pid": raw.get("pid"),
        "ipc": raw.get("ipc"),
        "devices": [
            ":".join(part for part in (d.get("source"), d.get("target"), d.get("permissions")) if part)
            if isinstance(d, dict)
            else d
            for d in raw.get("devices") or []
        ],
        "logging": None
        if raw.get("logging") is None
        else {
            "driver": raw["logging"].get("driver"),
            "options": {k: str(v) for k, v in (raw["logging"].get("options") or {}).items() if v is not None},
        },
        "security_opt": raw.get("security_opt") or [],
        "runtime": raw.get("runtime"),
    }


def _explicit(written: str | None, project: str, key: str) -> str | None:
    """A network's or volume's `name:`; Compose fills in `<project>_<key>` where none is given
    (labkit's own is `<project>-<key>`, a name it derives rather than reads)."""
    return None if written in (None, f"{project}_{key}") else written


def _deploy_restart(policy: Shape | None) -> str:
    """deploy.restart_policy as the container's restart policy, as Compose applies it."""
    if policy is None:
        return "no"
    name = {"none": "no", "on-failure": "on-failure", "any": "always"}[policy.get("condition", "any")]
    attempts = policy.get("max_attempts")
    return name if attempts is None else f"{name}:{attempts}"


def _compose_healthcheck(raw: Shape | None) -> Shape | None:
    if raw is None:
        return None
    test = raw.get("test")
    if raw.get("disable") or test == ["NONE"]:
        return {"test": ["NONE"]}
    return {
        "test": test,
        "interval": _seconds(raw.get("interval")) or 30.0,
        "timeout": _seconds(raw.get("timeout")) or 30.0,
        "retries": raw.get("retries", 3),
        "start_period": _seconds(raw.get("start_period")) or 0.0,
        "start_interval": _seconds(raw.get("start_interval")) or 5.0,
    }


def _seconds(text: str | None) -> float | None:
    return None if text is None else parse_duration(text)


def _listed(value: str | list[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _int(value: str | int | None) -> int | None:
    return None if value is None else int(value)


def _unescape(value: Any) -> Any:
    """`config` writes a literal $ as $$ so that its output loads again: undo that."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [_unescape(item) for item in value]
    if isinstance(value, dict):
        return {key: _unescape(item) for key, item in value.items()}
    return value


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two shapes differ, as "path: labkit=... compose=..." lines."""
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            found += differences(left.get(key), right.get(key), f"{path}.{key}" if path else key)
        return found
    if left != right:
        return [f"{path}: labkit={left!r} compose={right!r}"]
    return []
