"""Make what a process inside a Podman container sees of its network look like Docker's.

A course teaches `route -n`, `/etc/hosts` and `/etc/resolv.conf`; the same exercise must show
the same things on both engines. Measured differences (ENGINES.md) and what labkit makes of them,
right after each start:

- routes: netavark adds one default route per non-internal network, each with `metric 100`, so
  after the lessons' `ip route replace default via X` there are two. Docker has one default
  route, metric 0, via the gateway of the first non-internal network in interface order (the
  first internal one if there is no other). labkit leaves exactly that route.
- /etc/hosts: Podman copies the host's own entries and adds `host.containers.internal` and the
  container's name. labkit writes Docker's file: the localhost and IPv6 lines, the extra hosts,
  then `ADDRESS [HOSTNAME.DOMAIN] HOSTNAME` for each network.
- /etc/resolv.conf: Podman writes `search dns.podman`, one name server per network and the host's
  name servers. Docker writes its resolver alone (127.0.0.11) and `options ndots:0`. labkit
  keeps one name server, Podman's resolver on the network of the default route (it answers for
  all of the container's networks), the service's own search domains and options, and Docker's
  `ndots:0` when there are none. The address differs (Podman has no 127.0.0.11): a course that
  teaches the file shows one `nameserver` line on both. A service with its own `dns:` servers
  keeps the file Podman writes (those servers alone).

This needs a rootful Podman on this host (labkit edits the container's files and enters its
network namespace as root); elsewhere the container keeps Podman's view.

Podman writes its own view again whenever it starts the container, also when it restarts one by
itself (a restart policy), with no labkit call in between. So each view applied leaves a stamp
beside the container's hosts file: the start it was applied to. `keep` (called wherever the
adapter inspects a container, and before each exec) applies the view again when the container
has started since.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import EngineError
from toolkit.runtime.podman.errors import JSON

DOCKER_HOSTS_HEAD = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)
PODMAN_SEARCH_DOMAIN = "dns.podman"
STAMP = "labkit-docker-view"  # in the container's own folder, beside its hosts file
_TIMEOUT = 30.0


@dataclass(frozen=True)
class Attachment:
    """One network of a running container, as the container sees it."""

    network: str
    address: str
    gateway: str
    internal: bool


def default_gateway(attachments: Sequence[Attachment]) -> Attachment | None:
    """The attachment Docker routes by default: the first non-internal one, else the first."""
    with_gateway = [a for a in attachments if a.gateway]
    outside = [a for a in with_gateway if not a.internal]
    chosen = outside or with_gateway
    return chosen[0] if chosen else None


def docker_hosts(
    hostname: str, domainname: str, extra_hosts: Sequence[str], attachments: Sequence[Attachment]
) -> str:
    """Docker's /etc/hosts for a container; extra hosts as Podman stores them (`name:address`)."""
    lines = [DOCKER_HOSTS_HEAD]
    for entry in extra_hosts:
        name, _, address = entry.partition(":")
        lines.append(f"{address}\t{name}\n")
    names = f"{hostname}.{domainname} {hostname}" if domainname else hostname
    lines += [f"{a.address}\t{names}\n" for a in attachments if a.address]
    return "".join(lines)


def docker_resolv_conf(podman_text: str, resolver: str | None) -> str:
    """Podman's resolv.conf reduced to Docker's shape around one resolver address."""
    search: list[str] = []
    options: list[str] = []
    for line in podman_text.splitlines():
        words = line.split()
        if words and words[0] == "search":
            search += [w for w in words[1:] if w != PODMAN_SEARCH_DOMAIN and w not in search]
        elif words and words[0] == "options":
            options += words[1:]
    text = f"search {' '.join(search)}\n" if search else ""
    text += f"nameserver {resolver}\n"
    return text + f"options {' '.join(options or ['ndots:0'])}\n"


class DockerView:
    """Applies the Docker-like view to a started container (rootful Podman on this host only)."""

    def __init__(self, *, rootless: bool) -> None:
        self.enabled = not rootless and os.geteuid() == 0 and Path("/usr/bin/nsenter").exists()
        # One view at a time per container: a start's and an inspection's `keep` may overlap
        # (the scheduler waits on a container while it starts), and two route rewrites at once
        # would delete each other's routes.
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def apply(self, document: JSON, is_internal: Callable[[str], bool]) -> None:
        """Routes, /etc/hosts and /etc/resolv.conf of the running container `document` describes.

        `is_internal` says whether a network (by name) is internal.
        """
        if self.enabled:
            with self._lock(document):
                self._apply_stamped(document, is_internal)

    def keep(self, document: JSON, is_internal: Callable[[str], bool]) -> None:
        """Apply the view again if the running container started after it was last applied.

        Only containers labkit gave the view to (they have a stamp): not those started by other
        means (kube play's pods, or containers started before stamps).
        """
        if not self.enabled or not (document.get("State") or {}).get("Running") or _is_current(document):
            return
        with self._lock(document):
            if not _is_current(document):  # another thread may have applied it meanwhile
                self._apply_stamped(document, is_internal)

    def _lock(self, document: JSON) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(document.get("Id", "")), threading.Lock())

    def _apply_stamped(self, document: JSON, is_internal: Callable[[str], bool]) -> None:
        """Apply, then stamp the start it was applied to; a container that exited first is
        stamped as wanting the view (its next start, by a restart policy, gets it from `keep`)."""
        stamp = _stamp(document)
        pid = int((document.get("State") or {}).get("Pid") or 0)
        applied = ""
        try:
            if pid:
                self._apply(pid, document, is_internal)
                applied = _started(document)
        except (EngineError, OSError) as exc:
            # Not a container that has just exited (an exiting process keeps /proc/PID a moment
            # as a zombie, but no namespaces any more).
            if Path(f"/proc/{pid}/ns/net").exists():
                raise EngineError(f"container {document.get('Name', '')}: {exc}") from exc
        if stamp is not None:
            with contextlib.suppress(OSError):
                stamp.write_text(applied)

    def _apply(self, pid: int, document: JSON, is_internal: Callable[[str], bool]) -> None:
        attachments = self._attachments(pid, document, is_internal)
        if not attachments:
            return
        gateway = default_gateway(attachments)
        self._route(pid, gateway)
        host_config: JSON = document.get("HostConfig") or {}
        hosts = Path(str(document.get("HostsPath") or ""))
        if hosts.is_file():
            hostname = str((document.get("Config") or {}).get("Hostname") or "")
            domainname = self._nsenter(pid, "--uts", "cat", "/proc/sys/kernel/domainname").strip()
            domainname = "" if domainname == "(none)" else domainname  # the kernel's "unset"
            extra = [str(e) for e in host_config.get("ExtraHosts") or []]
            _rewrite(hosts, docker_hosts(hostname, domainname, extra, attachments))
        resolv = Path(str(document.get("ResolvConfPath") or ""))
        if resolv.is_file() and gateway is not None and not host_config.get("Dns"):
            _rewrite(resolv, docker_resolv_conf(resolv.read_text(), gateway.gateway))

    def _attachments(self, pid: int, document: JSON, is_internal: Callable[[str], bool]) -> list[Attachment]:
        """The container's networks in interface order (eth0 first)."""
        networks: JSON = (document.get("NetworkSettings") or {}).get("Networks") or {}
        devices = self._devices(pid)
        found = [
            Attachment(
                network=name,
                address=str(network.get("IPAddress") or ""),
                gateway=str(network.get("Gateway") or ""),
                internal=is_internal(name),
            )
            for name, network in networks.items()
            if network.get("IPAddress")
        ]
        return sorted(found, key=lambda a: _interface_order(devices.get(a.address, "")))

    def _route(self, pid: int, gateway: Attachment | None) -> None:
        """Leave one default route, metric 0, via Docker's choice of gateway."""
        for line in self._nsenter(pid, "--net", "ip", "-4", "route", "show", "default").splitlines():
            words = line.split()
            if words[:1] == ["default"]:
                self._nsenter(pid, "--net", "ip", "route", "del", *words)
        if gateway is None:
            return
        device = self._devices(pid).get(gateway.address)
        if device:
            self._nsenter(
                pid, "--net", "ip", "route", "add", "default", "via", gateway.gateway, "dev", device
            )

    def _devices(self, pid: int) -> dict[str, str]:
        """IPv4 address -> interface name, inside the container."""
        devices: dict[str, str] = {}
        for line in self._nsenter(pid, "--net", "ip", "-4", "-o", "addr", "show").splitlines():
            words = line.split()
            if len(words) > 3:
                devices[words[3].split("/")[0]] = words[1]
        return devices

    def _nsenter(self, pid: int, namespace: str, *argv: str) -> str:
        command = ["nsenter", "--target", str(pid), namespace, *argv]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"{' '.join(command)} failed: {exc}") from exc
        if result.returncode != 0:
            raise EngineError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout


def _is_current(document: JSON) -> bool:
    """Whether the view was applied to this start, or labkit never gave it (no stamp)."""
    stamp = _stamp(document)
    if stamp is None:
        return True
    try:
        return stamp.read_text() == _started(document)
    except OSError:
        return True  # no stamp: labkit never applied the view here


def _stamp(document: JSON) -> Path | None:
    hosts = str(document.get("HostsPath") or "")
    return Path(hosts).parent / STAMP if hosts else None


def _started(document: JSON) -> str:
    return str((document.get("State") or {}).get("StartedAt") or "")


def _interface_order(device: str) -> tuple[int, str]:
    """eth2 before eth10; names without a number last."""
    digits = device.lstrip("abcdefghijklmnopqrstuvwxyz")
    return (int(digits), device) if digits.isdigit() else (1 << 30, device)


def _rewrite(path: Path, text: str) -> None:
    """Write in place: the file is bind-mounted into the container, a new inode would not be."""
    with path.open("r+") as file:
        file.seek(0)
        file.write(text)
        file.truncate()
