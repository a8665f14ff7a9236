"""Wait, after a container starts, until Podman's resolver answers for it again.

netavark tells aardvark-dns about a container joining a network with a SIGHUP, and
aardvark-dns 1.4 (Debian 12's) then closes and reopens its listeners on every network, one
reload after another. Until it has, lookups from any container are refused or lost: measured
here, a loop of 1,500 `getent hosts` in one container lost none alone, 5 (each waiting out
glibc's 5 s retry) while 32 containers started on another network, 10 (5 to 10 s each) while 86
started on its own. Docker's embedded resolver knows a container as soon as it runs and never
goes away. So `start_container` returns only once aardvark-dns answers for the new container's
name on each of its networks: it has then reloaded past this container, and the commands run
next (a check's `getent`, `ping NAME`) do not fall into that reload.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import struct
import time
from collections.abc import Callable, Sequence

from toolkit.runtime.podman.errors import JSON

DNS_PORT = 53
_WAIT = 5.0  # at most, per container: best effort, a start never fails for it
_TRY = 0.2  # seconds for one answer
_PAUSE = 0.05  # between tries, while the listener is closed
_HEADER = struct.Struct(">HHHHHH")  # id, flags, questions, answers, authority, additional
_RECURSION_DESIRED = 0x0100
_TYPE_A, _CLASS_IN = 1, 1
_ids = itertools.count(1)


def query(name: str, ident: int) -> bytes:
    """A DNS query for the A record of `name`."""
    labels = b"".join(
        bytes([len(part)]) + part for part in (label.encode("ascii") for label in name.split(".")) if part
    )
    return (
        _HEADER.pack(ident, _RECURSION_DESIRED, 1, 0, 0, 0)
        + labels
        + b"\0"
        + struct.pack(">HH", _TYPE_A, _CLASS_IN)
    )


def answered(reply: bytes, ident: int) -> bool:
    """Whether `reply` answers query `ident` with at least one record (no error)."""
    if len(reply) < _HEADER.size:
        return False
    reply_id, flags, _, answers, _, _ = _HEADER.unpack_from(reply)
    return bool(reply_id == ident and flags & 0x000F == 0 and answers > 0)


def ask(server: str, name: str, timeout: float = _TRY, port: int = DNS_PORT) -> bool:
    """One query for `name` to `server`; True when it answers with an address."""
    ident = next(_ids) & 0xFFFF
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((server, port))  # connected: a closed listener is refused at once
            sock.send(query(name, ident))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if answered(sock.recv(512), ident):
                    return True
        except OSError:  # refused (the listener is being reopened), timed out, unreachable
            return False
    return False


def wait_until_resolvable(
    name: str, servers: Sequence[str], wait: float = _WAIT, port: int = DNS_PORT
) -> bool:
    """Ask each of `servers` for `name` until each has answered; False when `wait` ran out."""
    deadline = time.monotonic() + wait
    for server in servers:
        while not ask(server, name, port=port):
            if time.monotonic() >= deadline:
                return False
            with contextlib.suppress(InterruptedError):
                time.sleep(_PAUSE)
    return True


def resolvers_of(document: JSON, resolves: Callable[[str], bool]) -> list[str]:
    """The resolver addresses (the gateways) of a running container's networks that resolve
    names; `resolves` says whether a network (by name) does."""
    networks: JSON = (document.get("NetworkSettings") or {}).get("Networks") or {}
    return [
        str(network["Gateway"])
        for name, network in networks.items()
        if network.get("Gateway") and network.get("IPAddress") and resolves(name)
    ]
