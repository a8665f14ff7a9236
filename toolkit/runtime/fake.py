"""An in-memory engine for unit tests: the Runtime protocol with no containers behind it.

Nothing runs. A test scripts what containers do: `on_healthcheck` answers probes,
`exit_container` ends one, `on_exec` answers commands, `log_lines` holds their output. Names,
labels, conflicts and not-found errors behave as the real adapters' do.
"""

from __future__ import annotations

import ipaddress
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import (
    BuildFailed,
    ContainerNotFound,
    EngineError,
    ImageNotFound,
    NameConflict,
    NetworkNotFound,
    VolumeNotFound,
)
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import (
    BuildSpec,
    ContainerInfo,
    ContainerSpec,
    ContainerState,
    EngineInfo,
    ExecResult,
    HealthcheckSpec,
    HealthProbe,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    NetworkSpec,
    VolumeInfo,
    VolumeSpec,
)

HealthScript = Callable[[str], HealthProbe]  # container name -> the probe's result
ExecScript = Callable[[str, Sequence[str]], ExecResult]


def _matches(labels: Mapping[str, str], selector: LabelSelector) -> bool:
    return all(key in labels and (value is None or labels[key] == value) for key, value in selector.items())


@dataclass
class FakeContainer:
    id: str
    spec: ContainerSpec
    state: ContainerState = ContainerState.CREATED
    exit_code: int | None = None
    ips: dict[str, str] = field(default_factory=dict)
    health: str | None = None
    log_lines: list[str] = field(default_factory=list)


class FakeRuntime:
    """The Runtime protocol, in memory. Thread-safe enough for the orchestrator's pool."""

    def __init__(self, name: str = "docker") -> None:
        self._name = name
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.images: dict[str, ImageInfo] = {}
        self.networks: dict[str, NetworkInfo] = {}
        self.volumes: dict[str, VolumeInfo] = {}
        self.containers: dict[str, FakeContainer] = {}  # by name
        self.on_healthcheck: HealthScript = lambda name: HealthProbe(True, 0, "")
        self.on_exec: ExecScript = lambda name, argv: ExecResult(0, "", "")
        self.build_failures: dict[str, BuildFailed] = {}  # tag -> the error its build raises
        self.calls: list[str] = []  # "create_container web", ... in call order

    @property
    def name(self) -> str:
        return self._name

    def info(self) -> EngineInfo:
        return EngineInfo("podman" if self._name == "podman" else "docker", "0-fake", "0", False, "")

    def close(self) -> None:
        pass

    def _record(self, call: str) -> None:
        with self._lock:
            self.calls.append(call)

    def _new_id(self) -> str:
        return f"{next(self._ids):064x}"

    # ------------------------------------------------------------ images
    def add_image(
        self,
        ref: str,
        *,
        healthcheck: HealthcheckSpec | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        """Put an image in the store (a test's stand-in for import or pull)."""
        info = ImageInfo(
            id=f"sha256:{self._new_id()}", tags=(ref,), labels=dict(labels or {}), healthcheck=healthcheck
        )
        self.images[ref] = info
        return info

    def image_exists(self, ref: str) -> bool:
        return ref in self.images

    def inspect_image(self, ref: str) -> ImageInfo:
        try:
            return self.images[ref]
        except KeyError:
            raise ImageNotFound(f"no image {ref}") from None

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]:
        # One image can be stored under several tags: list it once, by id.
        unique = {image.id: image for image in self.images.values()}
        return [image for image in unique.values() if _matches(image.labels, labels)]

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        self._record(f"build_image {','.join(spec.tags)}")
        for tag in spec.tags:
            if tag in self.build_failures:
                raise self.build_failures[tag]
        info = ImageInfo(id=f"sha256:{self._new_id()}", tags=spec.tags, labels=dict(spec.labels))
        for tag in spec.tags:
            self.images[tag] = info
        return info

    def tag_image(self, ref: str, new_ref: str) -> None:
        self.images[new_ref] = self.inspect_image(ref)

    def remove_image(self, ref: str, force: bool = False) -> None:
        self.inspect_image(ref)
        del self.images[ref]

    def save_images(self, refs: Sequence[str], path: Path) -> None:
        raise EngineError("the fake engine cannot save images")

    def load_images(self, path: Path) -> list[str]:
        raise EngineError("the fake engine cannot load images")

    def import_rootfs(
        self,
        tar_path: Path,
        ref: str,
        *,
        changes: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        return self.add_image(ref, labels=dict(labels or {}))

    # ------------------------------------------------------------ networks
    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        with self._lock:
            self._record(f"create_network {spec.name}")
            if spec.name in self.networks:
                raise NameConflict(f"network {spec.name} exists")
            info = NetworkInfo(
                self._new_id(), spec.name, spec.subnet, spec.gateway, spec.internal, dict(spec.labels)
            )
            self.networks[spec.name] = info
            return info

    def inspect_network(self, name: str) -> NetworkInfo:
        try:
            return self.networks[name]
        except KeyError:
            raise NetworkNotFound(f"no network {name}") from None

    def remove_network(self, name: str) -> None:
        with self._lock:
            self._record(f"remove_network {name}")
            self.inspect_network(name)
            if any(name in c.ips for c in self.containers.values()):
                raise EngineError(f"network {name} has active endpoints")
            del self.networks[name]

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        return [n for n in list(self.networks.values()) if _matches(n.labels, labels)]

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo:
        with self._lock:
            self._record(f"create_volume {spec.name}")
            info = self.volumes.setdefault(spec.name, VolumeInfo(spec.name, dict(spec.labels)))
            return info

    def remove_volume(self, name: str, force: bool = False) -> None:
        with self._lock:
            self._record(f"remove_volume {name}")
            if self.volumes.pop(name, None) is None:
                raise VolumeNotFound(f"no volume {name}")

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]:
        return [v for v in list(self.volumes.values()) if _matches(v.labels, labels)]

    # ------------------------------------------------------------ containers
    def _find(self, container: str) -> FakeContainer:
        with self._lock:
            if container in self.containers:
                return self.containers[container]
            for record in self.containers.values():
                if record.id == container or record.id.startswith(container):
                    return record
        raise ContainerNotFound(f"no container {container}")

    def create_container(self, spec: ContainerSpec) -> str:
        with self._lock:
            self._record(f"create_container {spec.name}")
            if spec.name in self.containers:
                raise NameConflict(f"container {spec.name} exists")
            self.inspect_image(spec.image)
            for attachment in spec.networks:
                self.inspect_network(attachment.network)
            record = FakeContainer(self._new_id(), spec)
            self.containers[spec.name] = record
            return record.id

    def start_container(self, container: str) -> None:
        with self._lock:
            record = self._find(container)
            self._record(f"start_container {record.spec.name}")
            record.state, record.exit_code = ContainerState.RUNNING, None
            for attachment in record.spec.networks:
                record.ips[attachment.network] = attachment.ipv4_address or self._next_ip(attachment.network)
            if self._healthcheck_of(record) is not None:
                record.health = "starting"

    def _next_ip(self, network: str) -> str:
        subnet = self.networks[network].subnet or "10.88.0.0/16"
        taken = {c.ips.get(network) for c in self.containers.values()}
        for host in itertools.islice(ipaddress.ip_network(subnet).hosts(), 1, None):
            if str(host) not in taken:
                return str(host)
        raise EngineError(f"network {network} is full")

    def exit_container(self, container: str, code: int) -> None:
        """Make a running container's main process end with `code` (a test's script)."""
        with self._lock:
            record = self._find(container)
            record.state, record.exit_code = ContainerState.EXITED, code

    def stop_container(self, container: str, timeout: float = 10.0) -> None:
        self._record(f"stop_container {container}")
        self.exit_container(container, 143)

    def kill_container(self, container: str, signal: str = "SIGKILL") -> None:
        self._record(f"kill_container {container}")
        if self._find(container).state is not ContainerState.RUNNING:
            raise EngineError(f"container {container} is not running")
        self.exit_container(container, 137)

    def remove_container(self, container: str, *, force: bool = True, volumes: bool = False) -> None:
        with self._lock:
            record = self._find(container)
            self._record(f"remove_container {record.spec.name}")
            if record.state is ContainerState.RUNNING and not force:
                raise EngineError(f"container {container} is running")
            del self.containers[record.spec.name]

    def _healthcheck_of(self, record: FakeContainer) -> HealthcheckSpec | None:
        spec = record.spec.healthcheck
        if spec is None:
            spec = self.images[record.spec.image].healthcheck if record.spec.image in self.images else None
        return None if spec is None or spec.disabled else spec

    def inspect_container(self, container: str) -> ContainerInfo:
        with self._lock:
            record = self._find(container)
            return ContainerInfo(
                id=record.id,
                name=record.spec.name,
                image=record.spec.image,
                state=record.state,
                exit_code=record.exit_code,
                labels=dict(record.spec.labels),
                ips=dict(record.ips),
                health=record.health,  # type: ignore[arg-type]
            )

    def list_containers(self, labels: LabelSelector, *, all: bool = True) -> list[ContainerInfo]:
        with self._lock:
            found = [
                self.inspect_container(name)
                for name, record in self.containers.items()
                if _matches(record.spec.labels, labels) and (all or record.state is ContainerState.RUNNING)
            ]
        return found

    def container_logs(
        self, container: str, *, tail: int | None = None, follow: bool = False
    ) -> Iterator[str]:
        lines = list(self._find(container).log_lines)
        return iter(lines if tail is None else lines[-tail:] if tail else [])

    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        record = self._find(container)
        if record.state is not ContainerState.RUNNING:
            raise EngineError(f"container {container} is not running")
        return self.on_exec(record.spec.name, argv)

    def exec_user(self, container: str, user: str | None) -> str | None:
        return user

    def run_healthcheck(self, container: str) -> HealthProbe:
        record = self._find(container)
        self._record(f"run_healthcheck {record.spec.name}")
        if self._healthcheck_of(record) is None:
            raise EngineError(f"container {container} has no healthcheck")
        if record.state is not ContainerState.RUNNING:
            raise EngineError(f"container {container} is not running")
        probe = self.on_healthcheck(record.spec.name)
        with self._lock:
            if probe.passed:
                record.health = "healthy"
        return probe
