"""What the in-memory engine keeps per container, and the exec user spelled as Podman needs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from toolkit.runtime.specs import ContainerSpec, ContainerState, HealthStatus


def _is_root(user: str) -> bool:
    return user.split(":", 1)[0] in ("", "root", "0")


@dataclass(frozen=True)
class ExecCall:
    """One exec the fake answered, as the caller asked for it."""

    container: str  # the container's name
    argv: tuple[str, ...]
    user: str | None
    env: Mapping[str, str] | None
    workdir: str | None
    timeout: float | None


@dataclass
class FakeContainer:
    id: str
    spec: ContainerSpec
    image_id: str
    state: ContainerState = ContainerState.CREATED
    exit_code: int | None = None
    ips: dict[str, str] = field(default_factory=dict)
    health: HealthStatus | None = None
    failed_probes: int = 0
    log_lines: list[str] = field(default_factory=list)


def podman_exec_user(requested: str | None, configured: str) -> str | None:
    """The exec user labkit's Podman adapter hands Podman (toolkit/runtime/podman/users.py).

    The container's own user, spelled `name:`, keeps Docker's capabilities; root and other
    users pass unchanged. A configured `user:group` is looked up in the image's /etc/passwd,
    which a fake container has not: the adapter then passes the user unchanged too.
    """
    wanted = configured if requested is None else requested
    if _is_root(wanted) or wanted != configured or ":" in configured:
        return requested
    return f"{configured}:"
