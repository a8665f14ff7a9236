"""What the stack operations return: typed results the CLI renders, and progress events."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from toolkit.runtime.specs import ContainerInfo, HealthStatus, PortBinding
from toolkit.stack import naming
from toolkit.stack.interfaces import parse_label

# What `up` did to a service's container.
Action = Literal["created", "recreated", "started", "unchanged"]


@dataclass(frozen=True)
class ServiceStatus:
    """One service's container as `up` left it or `ps` found it."""

    project: str
    service: str
    container: str  # the engine's name for it
    state: str  # a ContainerState value
    health: HealthStatus | None  # None: no healthcheck
    exit_code: int | None = None
    ips: Mapping[str, str] = field(default_factory=dict)  # Compose network key -> IPv4
    interfaces: Mapping[str, str] = field(default_factory=dict)  # Compose network key -> eth0...
    ports: tuple[PortBinding, ...] = ()
    action: Action | None = None  # set by `up`
    exercise: str = ""

    @staticmethod
    def from_info(
        info: ContainerInfo, *, health: HealthStatus | None = None, action: Action | None = None
    ) -> ServiceStatus:
        """Describe a container; `health` (labkit's own verdict) overrides the engine's."""
        project = info.labels.get(naming.LABEL_PROJECT, "")
        prefix = f"{project}-"
        return ServiceStatus(
            project=project,
            service=info.labels.get(naming.LABEL_SERVICE, info.name),
            container=info.name,
            state=info.state.value,
            health=health if health is not None else info.health,
            exit_code=info.exit_code,
            ips={name.removeprefix(prefix): ip for name, ip in info.ips.items()},
            interfaces=parse_label(info.labels.get(naming.LABEL_INTERFACES, "")),
            ports=info.ports,
            action=action,
            exercise=info.labels.get(naming.LABEL_EXERCISE, ""),
        )


@dataclass(frozen=True)
class UpResult:
    project: str
    exercise: str
    engine: str
    services: tuple[ServiceStatus, ...]  # in start order
    networks_created: tuple[str, ...] = ()
    volumes_created: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # containers of services no longer in the stack
    waited: bool = True

    @property
    def changed(self) -> bool:
        """Whether this `up` changed anything on the engine."""
        return bool(
            self.networks_created
            or self.volumes_created
            or self.removed
            or any(s.action != "unchanged" for s in self.services)
        )


@dataclass(frozen=True)
class DownResult:
    project: str
    containers: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.containers or self.networks or self.volumes)


@dataclass(frozen=True)
class LogLine:
    service: str
    text: str


EventKind = Literal[
    "image-build",  # building an image (a service's build: or course images)
    "image-built",
    "network-created",
    "volume-created",
    "container-removed",
    "container-created",
    "container-started",
    "service-ready",
    "cleanup",
]


@dataclass(frozen=True)
class StackEvent:
    """Progress of `up` and `down`, for a renderer to show."""

    kind: EventKind
    subject: str  # a service, network, volume or image
    detail: str = ""


StackEventCallback = Callable[[StackEvent], None]
