"""Refuse exercises that reach into the host, unless both the exercise and the user allow it.

A lab container that is privileged, shares the host's network, PID or IPC namespace, gets host
devices, mounts the engine's socket or gains SYS_ADMIN (or ALL, or a capability acting on the
whole kernel) can take over the machine that runs it. labkit runs such a service only when the
exercise lists the kind of access under `x-labkit.allow` AND the user passes
`--allow-privileged`: the author vouches for the exercise, the user for the machine.

A bind mount of a host path outside the exercise folder (`/etc/app`, `~/data`) is the user's
data rather than the machine: it runs when the user alone passes `--allow-host-paths` (a
project's own Compose file mounts such paths all the time). One that hands over an engine socket
or the host's root stays under the rule above (`engine-socket`).

The policy only reads the model: it never adds a capability or loosens anything. Exercises get
the engine's default capabilities plus their own `cap_add`, minus their `cap_drop`.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from toolkit.errors import UsageError
from toolkit.stack.model import Service, Stack

ALLOWABLE: tuple[str, ...] = (
    "privileged",
    "host-network",
    "host-pid",
    "host-ipc",
    "devices",
    "engine-socket",
    "all-capabilities",
    "sys-admin",
    "host-capabilities",
)

# Capabilities that act on the whole kernel rather than on the container's namespaces: loading
# modules, raw I/O, the host clock, reading any file by handle (the "shocker" escape), the LSMs,
# eBPF and the kernel log. NET_ADMIN, NET_RAW and the like stay namespaced and are fine.
HOST_CAPABILITIES = frozenset(
    {
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_TIME",
        "SYS_BOOT",
        "DAC_READ_SEARCH",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "BPF",
        "PERFMON",
        "SYSLOG",
    }
)

_SOCKET_NAME = re.compile(r"(docker|podman|containerd|crio|cri-dockerd)\.sock(\.ttrpc)?$")
# Directories holding engine sockets (and their runtime state): mounting one or anything inside
# it hands the socket over.
_SOCKET_DIRS = (
    "/run/docker",
    "/run/podman",
    "/run/containerd",
    "/run/crio",
    "/var/run/docker",
    "/var/run/podman",
    "/var/run/containerd",
    "/var/run/crio",
)
# Directories that contain the sockets: mounting one of them hands the sockets over too.
_SOCKET_ANCESTORS = frozenset({"/", "/run", "/var", "/var/run", "/run/user"})
_USER_RUNTIME_DIR = re.compile(r"^/run/user/[^/]+(/(podman|docker|containerd)(/.*)?)?$")


@dataclass(frozen=True)
class HostAccess:
    """One kind of host access a service asks for."""

    service: str
    kind: str  # one of ALLOWABLE
    detail: str  # what the service asks for, in Compose words: "privileged: true"


def check_safety(stack: Stack, *, allow_privileged: bool) -> None:
    """Refuse the stack if a service asks for host access that is not allowed twice over.

    Allowed means: the exercise lists the kind under `x-labkit.allow` and `allow_privileged`
    (the user's --allow-privileged) is true. Reports the first refusal in a stable order.

    Raises:
        UsageError: `x-labkit.allow` names an unknown kind, or a service asks for host access
            that is not allowed; the message says which service, what, and how to allow it.
    """
    allowed = stack.exercise.allow
    unknown = [name for name in allowed if name not in ALLOWABLE]
    if unknown:
        raise UsageError(
            f"x-labkit.allow lists '{unknown[0]}', which labkit does not know: "
            f"choose from {', '.join(ALLOWABLE)}"
        )
    for access in find_host_access(stack):
        listed = access.kind in allowed
        if listed and allow_privileged:
            continue
        asks = f"service '{access.service}' asks for {access.detail}"
        if not listed and not allow_privileged:
            how = f"list '{access.kind}' under x-labkit.allow and pass --allow-privileged"
        elif listed:
            how = f"the exercise allows '{access.kind}': pass --allow-privileged to run it"
        else:
            how = (
                f"the exercise does not list '{access.kind}' under x-labkit.allow "
                "(--allow-privileged alone is not enough)"
            )
        raise UsageError(f"{asks}, which labkit refuses: {how}")


def check_host_paths(stack: Stack, *, allow_host_paths: bool) -> None:
    """Refuse bind mounts of host paths outside the exercise folder unless `allow_host_paths`.

    Mounts that expose an engine socket are left to check_safety (they need more than this).

    Raises:
        UsageError: naming the service, the path and the flag that allows it.
    """
    for key, volume in stack.volumes.items():
        device = bound_device(volume.driver_opts)
        if device is not None and exposes_engine_socket(device):
            raise UsageError(
                f"volume '{key}' binds {device}, which exposes the container engine's socket: "
                "labkit refuses it; bind-mount it from a service with x-labkit.allow: [engine-socket]"
            )
        if device is not None and outside_folder(stack, device) and not allow_host_paths:
            raise UsageError(
                f"volume '{key}' binds {device}, a host path outside the exercise folder "
                f"{stack.folder}, which labkit refuses: pass --allow-host-paths to run it"
            )
    if allow_host_paths:
        return
    for name in sorted(stack.services):
        for mount in stack.services[name].volumes:
            if mount.type == "bind" and outside_folder(stack, mount.source):
                raise UsageError(
                    f"service '{name}' bind-mounts {mount.source}, a host path outside the "
                    f"exercise folder {stack.folder}, which labkit refuses: pass --allow-host-paths "
                    "to run it, or mount a folder inside the exercise"
                )


def bound_device(driver_opts: Mapping[str, str]) -> str | None:
    """The host folder a local volume binds (`o: bind`, `device: PATH`), or None."""
    options = driver_opts.get("o", "").split(",")
    return driver_opts.get("device", "") if "bind" in options else None


def outside_folder(stack: Stack, source: str) -> bool:
    """Whether the host path `source` is outside the stack's folder (symlinks followed), and
    not one check_safety already refuses as an engine socket."""
    if exposes_engine_socket(source):
        return False
    real = os.path.realpath(source)
    folder = os.path.realpath(stack.folder)
    return real != folder and not real.startswith(folder.rstrip("/") + "/")


def find_host_access(stack: Stack) -> list[HostAccess]:
    """Return every host access the stack's services ask for, by service name then kind."""
    return [access for name in sorted(stack.services) for access in _service_access(stack.services[name])]


def _service_access(service: Service) -> Iterator[HostAccess]:
    name = service.name
    if service.privileged:
        yield HostAccess(name, "privileged", "privileged: true")
    if service.network_mode is not None and service.network_mode.strip() == "host":
        yield HostAccess(name, "host-network", "network_mode: host")
    if service.pid is not None and service.pid.strip() == "host":
        yield HostAccess(name, "host-pid", "pid: host")
    if service.ipc is not None and service.ipc.strip() == "host":
        yield HostAccess(name, "host-ipc", "ipc: host")
    if service.devices:
        yield HostAccess(name, "devices", f"devices: {', '.join(service.devices)}")
    for mount in service.volumes:
        if mount.type == "bind" and exposes_engine_socket(mount.source):
            detail = f"a bind mount of {mount.source} (it exposes the container engine's socket)"
            yield HostAccess(name, "engine-socket", detail)
    capabilities = [_capability(cap) for cap in service.cap_add]
    if "ALL" in capabilities:
        yield HostAccess(name, "all-capabilities", "cap_add: ALL")
    if "SYS_ADMIN" in capabilities:
        yield HostAccess(name, "sys-admin", "cap_add: SYS_ADMIN")
    kernel_wide = sorted(set(capabilities) & HOST_CAPABILITIES)
    if kernel_wide:
        yield HostAccess(name, "host-capabilities", f"cap_add: {', '.join(kernel_wide)}")


def exposes_engine_socket(source: str) -> bool:
    """Tell whether bind-mounting the host path `source` would hand over an engine socket.

    Checks the path as written and with symlinks resolved (/var/run is a link to /run on most
    hosts, and a link elsewhere could point at a socket).
    """
    if not source:
        return False
    written = posixpath.normpath(source)
    return any(_is_socket_path(path) for path in {written, os.path.realpath(written)})


def _is_socket_path(path: str) -> bool:
    if path.startswith("//"):
        path = "/" + path.lstrip("/")  # POSIX keeps a leading "//"; the kernel does not
    if _SOCKET_NAME.search(posixpath.basename(path)):
        return True
    if path in _SOCKET_ANCESTORS or _USER_RUNTIME_DIR.match(path):
        return True
    return any(path == folder or path.startswith(folder + "/") for folder in _SOCKET_DIRS)


def _capability(name: str) -> str:
    # Compose accepts "sys_admin" and "CAP_SYS_ADMIN" alike.
    return name.strip().upper().removeprefix("CAP_")
