"""An in-memory engine for unit tests: the Runtime protocol with no containers behind it.

Nothing runs. A test scripts what containers do: `on_healthcheck` answers probes,
`exit_container` ends one, `on_exec` answers commands (`execs` records them), `log_lines` holds
their output. Where tests lean on the engine, the fake does what both engines do through
labkit's adapters, and the contract suite (tests/engine/test_contract*.py) holds it to that:
names, labels, conflicts and not-found errors; images found and removed by id, and kept while a
container uses them; engine-chosen subnets, overlapping subnets and bad static addresses
refused (addresses.py); an exit code kept until the container starts again.

`FakeRuntime("podman")` shows what still differs above the seam: Podman's subnet pool and
gateways, static addresses Docker refuses, networks that stay while a stopped container names
them, `unhealthy` after `retries` failed probes, a forced removal by id refused while several
tags name the image, and the exec user spelled for Podman (podman/users.py). The engines'
default networks (`bridge`, `podman`) are not listed; their subnets are taken all the same.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from ipaddress import IPv4Network
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
from toolkit.runtime.fake import addresses
from toolkit.runtime.fake.containers import ExecCall, FakeContainer, podman_exec_user
from toolkit.runtime.fake.images import FakeImageStore, matches
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import (
    BuildSpec,
    ContainerInfo,
    ContainerSpec,
    ContainerState,
    EngineInfo,
    EngineName,
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
ExecScript = Callable[[str, Sequence[str]], ExecResult]  # container name, argv -> the result
_STOPPED_BY_SIGNAL = {"SIGTERM": 143, "SIGKILL": 137}


class FakeRuntime:
    """The Runtime protocol, in memory. Thread-safe enough for the orchestrator's pool.

    `flavour` is the engine it behaves as; `name` what it calls itself (the flavour unless a
    test wants to see its own name reported).
    """

    def __init__(self, flavour: EngineName = "docker", *, name: str | None = None) -> None:
        self._flavour: EngineName = flavour
        self._name = name or flavour
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._images = FakeImageStore(flavour, self._new_id)
        self.pushed: dict[str, ImageInfo] = {}  # destination -> the image pushed there
        self.networks: dict[str, NetworkInfo] = {}
        self._configured_subnets: set[str] = set()  # networks whose subnet the caller chose
        self.volumes: dict[str, VolumeInfo] = {}
        self.containers: dict[str, FakeContainer] = {}  # by name
        self.on_healthcheck: HealthScript = lambda name: HealthProbe(True, 0, "")
        self.on_exec: ExecScript = lambda name, argv: ExecResult(0, "", "")
        self.build_failures: dict[str, BuildFailed] = {}  # tag -> the error its build raises
        self.calls: list[str] = []  # "create_container web", ... in call order
        self.execs: list[ExecCall] = []

    @property
    def name(self) -> str:
        return self._name

    def info(self) -> EngineInfo:
        return EngineInfo(
            self._flavour,
            "0-fake",
            "0",
            False,
            "",
            os="linux",
            arch="amd64",
            runtimes=("runc",),
            log_drivers={"json-file": None, "none": None},
        )

    def close(self) -> None:
        pass

    def _record(self, call: str) -> None:
        with self._lock:
            self.calls.append(call)

    def _new_id(self) -> str:
        # Ids look like the engines' (64 hex digits, no shared prefix), so short ids work.
        return hashlib.sha256(f"fake-{next(self._ids)}".encode()).hexdigest()

    # ------------------------------------------------------------ images
    def add_image(
        self,
        ref: str,
        *,
        healthcheck: HealthcheckSpec | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        """Put an image in the store (a test's stand-in for import or pull)."""
        with self._lock:
            return self._images.store((ref,), labels or {}, healthcheck)

    def image_exists(self, ref: str) -> bool:
        try:
            self.inspect_image(ref)
        except ImageNotFound:
            return False
        return True

    def inspect_image(self, ref: str) -> ImageInfo:
        with self._lock:
            return self._images.info(self._images.resolve(ref))

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]:
        with self._lock:
            return self._images.find(labels)

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        self._record(f"build_image {','.join(spec.tags)}")
        for tag in spec.tags:
            if tag in self.build_failures:
                raise self.build_failures[tag]
        with self._lock:
            return self._images.store(spec.tags, spec.labels, None)

    def tag_image(self, ref: str, new_ref: str) -> None:
        with self._lock:
            self._images.tag(ref, new_ref)

    def remove_image(self, ref: str, force: bool = False) -> None:
        with self._lock:
            image_id = self._images.resolve(ref)
            users = [c.spec.name for c in self.containers.values() if c.image_id == image_id]
            self._images.remove(ref, force, users)

    def push_image(self, ref: str, destination: str, *, insecure: bool = False) -> None:
        self.pushed[destination] = self.inspect_image(ref)

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
    def _taken_subnets(self) -> list[IPv4Network]:
        taken = [addresses.DEFAULT_NETWORK[self._flavour][1]]
        taken += [IPv4Network(n.subnet) for n in self.networks.values() if n.subnet]
        return taken

    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        with self._lock:
            self._record(f"create_network {spec.name}")
            if spec.name in self.networks:
                raise NameConflict(f"network {spec.name} exists")
            info = addresses.new_network(self._flavour, spec, self._new_id(), self._taken_subnets())
            if spec.subnet:
                self._configured_subnets.add(spec.name)
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
            # Docker refuses while a running container is attached; Podman while any container
            # (created or stopped too) names the network.
            attached = [
                c.spec.name
                for c in self.containers.values()
                if name in c.ips
                or (self._flavour == "podman" and any(a.network == name for a in c.spec.networks))
            ]
            if attached:
                raise EngineError(f"network {name} is used by container {attached[0]}")
            del self.networks[name]
            self._configured_subnets.discard(name)

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        return [n for n in list(self.networks.values()) if matches(n.labels, labels)]

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo:
        with self._lock:
            self._record(f"create_volume {spec.name}")
            # An existing volume of that name is handed back, labels unchanged, as Docker does.
            return self.volumes.setdefault(spec.name, VolumeInfo(spec.name, dict(spec.labels)))

    def remove_volume(self, name: str, force: bool = False) -> None:
        with self._lock:
            self._record(f"remove_volume {name}")
            if self.volumes.pop(name, None) is None:
                raise VolumeNotFound(f"no volume {name}")

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]:
        return [v for v in list(self.volumes.values()) if matches(v.labels, labels)]

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
            image_id = self._images.resolve(spec.image)
            for attachment in spec.networks:
                self.inspect_network(attachment.network)
            record = FakeContainer(self._new_id(), spec, image_id)
            self.containers[spec.name] = record
            return record.id

    def start_container(self, container: str) -> None:
        with self._lock:
            record = self._find(container)
            self._record(f"start_container {record.spec.name}")
            if record.state is ContainerState.RUNNING:
                return  # already running: fine, on both engines
            record.ips = self._addresses_for(record)  # refused here, as the engines refuse
            record.state, record.exit_code = ContainerState.RUNNING, None
            record.failed_probes = 0
            if self._healthcheck_of(record) is not None:
                record.health = "starting"

    def _addresses_for(self, record: FakeContainer) -> dict[str, str]:
        """Each attachment's address, static ones checked; nothing is taken if one is refused."""
        in_use: dict[str, set[str]] = {}
        for other in self.containers.values():
            for network, address in other.ips.items():
                in_use.setdefault(network, set()).add(address)
        for attachment in record.spec.networks:
            if attachment.network not in self.networks:
                # Docker's answer for a container whose network has gone, through its adapter.
                raise ContainerNotFound(
                    f"starting {record.spec.name}: network {attachment.network} not found"
                )
        return addresses.assign(
            self._flavour, record.spec.networks, self.networks, self._configured_subnets, in_use
        )

    def exit_container(self, container: str, code: int) -> None:
        """Make a running container's main process end with `code` (a test's script)."""
        with self._lock:
            record = self._find(container)
            record.state, record.exit_code = ContainerState.EXITED, code
            record.ips = {}  # both engines release a stopped container's addresses
            if self._healthcheck_of(record) is not None:
                record.health = "unhealthy"  # as both engines mark a stopped container

    def stop_container(self, container: str, timeout: float = 10.0) -> None:
        self._record(f"stop_container {container}")
        with self._lock:
            # Created or already exited: nothing to stop, and the exit code stays.
            if self._find(container).state is ContainerState.RUNNING:
                self.exit_container(container, _STOPPED_BY_SIGNAL["SIGTERM"])

    def kill_container(self, container: str, signal: str = "SIGKILL") -> None:
        self._record(f"kill_container {container}")
        with self._lock:
            if self._find(container).state is not ContainerState.RUNNING:
                raise EngineError(f"container {container} is not running")
            self.exit_container(container, _STOPPED_BY_SIGNAL.get(signal, 137))

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
            spec = self._images.healthcheck(record.image_id)
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
                health=record.health,
            )

    def list_containers(
        self, labels: LabelSelector, *, all: bool = True, health: bool = True
    ) -> list[ContainerInfo]:
        with self._lock:
            found = [
                self.inspect_container(name)
                for name, record in self.containers.items()
                if matches(record.spec.labels, labels) and (all or record.state is ContainerState.RUNNING)
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
        with self._lock:
            self._record(f"exec {record.spec.name}")
            self.execs.append(ExecCall(record.spec.name, tuple(argv), user, env, workdir, timeout))
        return self.on_exec(record.spec.name, argv)

    def exec_user(self, container: str, user: str | None) -> str | None:
        record = self._find(container)
        return user if self._flavour == "docker" else podman_exec_user(user, record.spec.user or "")

    def run_healthcheck(self, container: str) -> HealthProbe:
        record = self._find(container)
        self._record(f"run_healthcheck {record.spec.name}")
        check = self._healthcheck_of(record)
        if check is None:
            raise EngineError(f"container {container} has no healthcheck")
        if record.state is not ContainerState.RUNNING:
            raise EngineError(f"container {container} is not running")
        probe = self.on_healthcheck(record.spec.name)
        with self._lock:
            record.failed_probes = 0 if probe.passed else record.failed_probes + 1
            if probe.passed:
                record.health = "healthy"
            elif self._flavour == "podman" and record.failed_probes >= check.retries:
                # Podman's healthcheck endpoint counts failures; Docker's probes are labkit's
                # own execs, so Docker's stored status does not move.
                record.health = "unhealthy"
        return probe
