"""The typed model of an exercise stack: what the Compose loader returns and all else works on.

Only the loader (`toolkit.stack.compose`) sees raw YAML. Planning, renumbering, orchestration and
checks read these frozen dataclasses. Durations are seconds, sizes bytes, paths absolute.
Names of services, networks and volumes are the Compose keys; engine-side names are derived
from the project name (`<project>-<key>`) by the orchestrator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolkit.runtime.specs import ContainerSettings

DependencyCondition = Literal["service_started", "service_healthy", "service_completed_successfully"]
PullPolicy = Literal["always", "never", "missing", "build", "if_not_present"]


@dataclass(frozen=True)
class BuildConfig:
    context: Path
    dockerfile: str | None = None  # relative to context
    args: Mapping[str, str] = field(default_factory=dict)
    target: str | None = None
    dockerfile_inline: str | None = None  # the Containerfile's text, written in the Compose file
    labels: Mapping[str, str] = field(default_factory=dict)  # the image's labels
    platforms: tuple[str, ...] = ()  # `up` accepts only the engine's own (engine_fit.py)
    notes: tuple[str, ...] = ()  # keys read and unused (ssh, entitlements, privileged)


@dataclass(frozen=True)
class ServiceNetwork:
    """A service's attachment to one of the stack's networks."""

    network: str  # key under the top-level `networks`
    ipv4_address: str | None = None
    aliases: tuple[str, ...] = ()
    priority: int = 0  # higher first in interface order (see interfaces.py)
    interface_name: str | None = None  # None: eth0, eth1, ... in interface order


@dataclass(frozen=True)
class Dependency:
    service: str
    condition: DependencyCondition = "service_started"
    required: bool = True
    restart: bool = False  # restart this service when `up` changes the dependency (dependents.py)


@dataclass(frozen=True)
class Link:
    """One of `links` ("SERVICE" or "SERVICE:ALIAS"): the linking service reaches `service`
    by `alias` too (see specs_from_model.link_aliases)."""

    service: str
    alias: str


@dataclass(frozen=True)
class VolumeMount:
    """`bind`: source is an absolute host path; `volume`: source is a top-level volume key
    (empty for an anonymous volume); `tmpfs`: no source."""

    type: Literal["bind", "volume", "tmpfs"]
    target: str
    source: str = ""
    read_only: bool = False


@dataclass(frozen=True)
class FileMount:
    """A secret or config a service mounts: the top-level key, and where it appears."""

    source: str  # key under the top-level `secrets` or `configs`
    target: str  # absolute path in the container


@dataclass(frozen=True)
class PortMapping:
    target: int
    published: int | None = None
    host_ip: str = ""
    protocol: Literal["tcp", "udp"] = "tcp"


@dataclass(frozen=True)
class Service(ContainerSettings):
    """One Compose service: the container settings it takes as written (ContainerSettings),
    plus what the orchestrator resolves into names, labels, attachments, mounts and ports."""

    name: str
    image: str | None = None
    build: BuildConfig | None = None
    networks: tuple[ServiceNetwork, ...] = ()
    volumes: tuple[VolumeMount, ...] = ()
    ports: tuple[PortMapping, ...] = ()
    expose: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[Dependency, ...] = ()
    links: tuple[Link, ...] = ()
    stop_grace_period: float | None = None
    pull_policy: PullPolicy | None = None
    profiles: tuple[str, ...] = ()
    tmpfs: tuple[str, ...] = ()
    # Namespaces as Compose writes them ("host", "none", "service:x", ...): host ones are host
    # access, refused unless the exercise allows it (see Exercise.allow).
    network_mode: str | None = None
    pid: str | None = None
    ipc: str | None = None
    container_name: str | None = None  # None: `<project>-<service>`
    secrets: tuple[FileMount, ...] = ()  # mounted read-only (compose/file_objects.py)
    configs: tuple[FileMount, ...] = ()
    platform: str | None = None  # `up` accepts only the engine's own (engine_fit.py)
    notes: tuple[str, ...] = ()  # keys read and ignored, for `labkit validate` to say so


@dataclass(frozen=True)
class Network:
    name: str  # the Compose key
    driver: str = "bridge"
    subnet: str | None = None
    gateway: str | None = None
    internal: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    # `name:`: the engine's name for it, as written (None: `<project>-<key>`). One network per
    # host: another project that names it too is refused at `up` (stack/fixed_names.py).
    explicit_name: str | None = None
    # `external: true`: a network made outside the file (its name: explicit_name), which `up`
    # joins but never creates, changes or removes; it must exist.
    external: bool = False


@dataclass(frozen=True)
class Volume:
    name: str  # the Compose key
    labels: Mapping[str, str] = field(default_factory=dict)
    explicit_name: str | None = None  # `name:`, as for a network
    # Options of the local driver, as `mount` takes them (type, o, device): `o: bind` makes the
    # volume a host folder (`device`), which the safety policy treats as a bind mount.
    driver_opts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """One check of `x-labkit.checks`: a command whose result says whether a task is done."""

    name: str
    service: str
    run: tuple[str, ...]  # argv; a string in the file becomes ("/bin/sh", "-c", string)
    expect_exit: int = 0
    expect_output: str | None = None  # a regex searched in stdout
    timeout: float = 10.0
    graded: bool = True  # graded checks must fail before the solution is applied
    user: str | None = None
    points: int = 1  # what passing it is worth in the score (graded checks only)
    hint: str = ""  # shown when it fails: a nudge, not the answer
    requires: tuple[str, ...] = ()  # checks above it that must pass for it to run at all
    probe: str | None = None  # a network key: run from labkit's probe container there, not a service


@dataclass(frozen=True)
class SolutionStep:
    service: str
    run: tuple[str, ...]
    user: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Parameter:
    """One of `x-labkit.parameters`: a value each student gets their own of.

    Which fields apply depends on the generator: `address` (network, low..high host numbers),
    `subnet` (within, prefix), `hostname` and `word` (text: a prefix), `port` and `number`
    (low..high), `choice` (choices).
    """

    name: str  # the variable the file references as ${NAME:-default}
    generator: str
    network: str | None = None
    low: int = 0
    high: int = 0
    within: str | None = None
    prefix: int = 0
    text: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """labkit's own data from the top-level `x-labkit` key."""

    title: str = ""
    description: str = ""
    checks: tuple[Check, ...] = ()
    solution: tuple[SolutionStep, ...] = ()
    # Host-level access the exercise may ask for (e.g. "privileged", "host-network"): still
    # refused unless the user also passes --allow-privileged.
    allow: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    probe_image: str | None = None  # the probe's image; None: that of a service on its network


@dataclass(frozen=True)
class Stack:
    """A loaded, validated Compose file."""

    name: str  # the project name: top-level `name`, or the folder's name
    file: Path  # absolute path of the Compose file
    services: Mapping[str, Service]
    networks: Mapping[str, Network]
    volumes: Mapping[str, Volume]
    exercise: Exercise = field(default_factory=Exercise)
    secrets: Mapping[str, Path] = field(default_factory=dict)  # name -> file (absolute)
    configs: Mapping[str, Path] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()  # the profiles enabled when loading (compose/profiles.py)
    inactive: tuple[str, ...] = ()  # the file's services those profiles leave out

    @property
    def folder(self) -> Path:
        return self.file.parent
