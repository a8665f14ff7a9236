"""The Podman adapter: labkit's Runtime on podman-py and the libpod API, behaving like Docker.

Docker is the reference. Where Podman's defaults differ, this adapter restores Docker's
behaviour, each time saying why next to the code:

- capabilities: Docker's defaults NET_RAW, MKNOD, AUDIT_WRITE are added (containers.py);
- image names: stored and looked up as Docker reads them (refs.py, images.py);
- healthchecks: Podman runs none without systemd, so inspect_container probes on demand;
- networks: isolated from each other, names resolvable, routed traffic not masqueraded
  (network.py, masquerade.py);
- builds: Docker's image format, so HEALTHCHECK survives.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from podman import PodmanClient

from toolkit.errors import (
    ContainerNotFound,
    EngineError,
    EngineGone,
    EngineUnavailable,
    NameConflict,
)
from toolkit.runtime.podman import containers, kube, users
from toolkit.runtime.podman.errors import JSON, body, check, engine_errors
from toolkit.runtime.podman.exec import run_exec
from toolkit.runtime.podman.health import run_probe
from toolkit.runtime.podman.images import PodmanImages
from toolkit.runtime.podman.inside import DockerView
from toolkit.runtime.podman.masquerade import MasqueradeExemption
from toolkit.runtime.podman.network import PodmanNetworks, label_filters
from toolkit.runtime.podman.options import LOG_DRIVERS
from toolkit.runtime.podman.volumes import PodmanVolumes
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import (
    BuildSpec,
    ContainerInfo,
    ContainerSpec,
    EngineInfo,
    EngineName,
    ExecResult,
    HealthProbe,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    NetworkSpec,
    VolumeInfo,
    VolumeSpec,
)
from toolkit.runtime.streams import frames, lines

_HTTP_NOT_MODIFIED = 304
_INSPECT_ATTEMPTS = 3
_FULL_ID = re.compile(r"^[0-9a-f]{64}$")


def _is_full_id(container: str) -> bool:
    return bool(_FULL_ID.match(container))


class PodmanRuntime:
    """labkit's Runtime on a Podman API service (libpod API, podman 4.3 and later)."""

    def __init__(self, socket_path: str) -> None:
        self._socket = socket_path
        self._client = PodmanClient(base_url=f"unix://{socket_path}")
        self._api = self._client.api
        self._host: JSON | None = None
        self._images = PodmanImages(self._api)
        self._volumes = PodmanVolumes(self._api)
        self._networks_helper: PodmanNetworks | None = None
        self._docker_view: DockerView | None = None
        self._default_rlimits: dict[str, tuple[int, int]] | None = None
        # (container id, requested user) -> the user to exec as; see users.py
        self._exec_users: dict[tuple[str, str | None], str | None] = {}
        # container id -> its configured user, noted at each inspection (a listing inspects
        # every container), so that a class's checks need no second inspection per container
        self._configured_users: dict[str, str] = {}

    @property
    def name(self) -> EngineName:
        return "podman"

    def info(self) -> EngineInfo:
        host = self._host_info()
        with engine_errors(f"podman at {self._socket}"):
            version = body(self._api.get("/version"))
        components = version.get("Components") or [{}]
        details: JSON = components[0].get("Details") or {}
        return EngineInfo(
            name="podman",
            version=str(version.get("Version", "")),
            api_version=str(details.get("APIVersion") or version.get("ApiVersion", "")),
            rootless=bool((host.get("security") or {}).get("rootless", False)),
            socket=self._socket,
            os=str(host.get("os", "")),
            arch=str(host.get("arch", "")),
            runtimes=(str((host.get("ociRuntime") or {}).get("name", "")),),
            log_drivers=LOG_DRIVERS,
        )

    def close(self) -> None:
        self._api.close()

    def _host_info(self) -> JSON:
        """libpod's description of the host, asked for once."""
        if self._host is None:
            try:
                with engine_errors(f"podman at {self._socket}"):
                    self._host = dict(body(self._api.get("/info")).get("host") or {})
            except EngineGone as exc:
                raise EngineUnavailable(
                    f"no podman answers at {self._socket}: start its API service "
                    "(scripts/provision-engines does) or run 'labkit doctor'"
                ) from exc
        return self._host

    @property
    def _networks(self) -> PodmanNetworks:
        if self._networks_helper is None:
            rootless = bool((self._host_info().get("security") or {}).get("rootless", False))
            exemption = MasqueradeExemption(rootless=rootless)
            self._networks_helper = PodmanNetworks(self._api, exemption)
        return self._networks_helper

    # ------------------------------------------------------------ kube play (Podman only)
    def play_kube(self, document: str, networks: Sequence[str], sysctls: Mapping[str, str]) -> list[str]:
        """Play a Kubernetes YAML document; `networks` as podman's --network values, `sysctls`
        set in the pods' network namespace before their containers start."""
        return kube.play_kube(self._api, document, networks, sysctls)

    def down_kube(self, document: str) -> None:
        """Remove the pods a Kubernetes YAML document describes (`podman kube down`)."""
        kube.down_kube(self._api, document)

    # ------------------------------------------------------------ images
    def image_exists(self, ref: str) -> bool:
        return self._images.exists(ref)

    def inspect_image(self, ref: str) -> ImageInfo:
        return self._images.inspect(ref)

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]:
        return self._images.find(labels)

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        return self._images.build(spec, on_progress)

    def tag_image(self, ref: str, new_ref: str) -> None:
        self._images.tag(ref, new_ref)

    def remove_image(self, ref: str, force: bool = False) -> None:
        self._images.remove(ref, force)

    def push_image(self, ref: str, destination: str, *, insecure: bool = False) -> None:
        self._images.push(ref, destination, insecure)

    def save_images(self, refs: Sequence[str], path: Path) -> None:
        self._images.save(refs, path)

    def load_images(self, path: Path) -> list[str]:
        return self._images.load(path)

    def import_rootfs(
        self,
        tar_path: Path,
        ref: str,
        *,
        changes: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        return self._images.import_rootfs(tar_path, ref, changes, labels or {})

    # ------------------------------------------------------------ networks
    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        return self._networks.create(spec)

    def inspect_network(self, name: str) -> NetworkInfo:
        return self._networks.inspect(name)

    def remove_network(self, name: str) -> None:
        self._networks.remove(name)

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        return self._networks.find(labels)

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo:
        return self._volumes.create(spec)

    def remove_volume(self, name: str, force: bool = False) -> None:
        self._volumes.remove(name, force)

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]:
        return self._volumes.find(labels)

    # ------------------------------------------------------------ containers
    def create_container(self, spec: ContainerSpec) -> str:
        image = self._images.resolve(spec.image)
        rlimits = self._engine_rlimits(image) if spec.ulimits else {}
        document = containers.create_document(spec, image, rlimits)
        what = f"container {spec.name}"
        try:
            with engine_errors(what, conflict=NameConflict):
                created = body(self._api.post("/containers/create", data=json.dumps(document)))
        except EngineError as exc:
            # libpod 4.3 answers a taken name with a 500, not a 409: ask whether it is taken.
            with engine_errors(what):
                taken = self._api.get(f"/containers/{spec.name}/exists").status_code == 204
            if taken and not isinstance(exc, NameConflict):
                raise NameConflict(f"{what}: the name is taken; remove that container first") from exc
            raise
        return str(created["Id"])

    def start_container(self, container: str) -> None:
        with engine_errors(f"container {container}", not_found=ContainerNotFound):
            response = self._api.post(f"/containers/{container}/start")
            if response.status_code != _HTTP_NOT_MODIFIED:  # already running: fine, as on Docker
                check(response)
        if self._view().enabled:
            self._view().apply(self._inspect(container), self._networks.is_internal)

    def _view(self) -> DockerView:
        """Routes, /etc/hosts and /etc/resolv.conf as Docker writes them (inside.py)."""
        if self._docker_view is None:
            rootless = bool((self._host_info().get("security") or {}).get("rootless", False))
            self._docker_view = DockerView(rootless=rootless)
        return self._docker_view

    def stop_container(self, container: str, timeout: float = 10.0) -> None:
        seconds = max(0, round(timeout))
        with engine_errors(f"container {container}", not_found=ContainerNotFound):
            response = self._api.post(
                f"/containers/{container}/stop",
                params={"timeout": seconds},
                timeout=seconds + 30,
            )
            if response.status_code != _HTTP_NOT_MODIFIED:  # already stopped
                check(response)

    def kill_container(self, container: str, signal: str = "SIGKILL") -> None:
        with engine_errors(f"container {container}", not_found=ContainerNotFound):
            check(self._api.post(f"/containers/{container}/kill", params={"signal": signal}))

    def remove_container(self, container: str, *, force: bool = True, volumes: bool = False) -> None:
        if force:
            # Podman's forced removal stops with the full stop timeout; Docker's kills at once.
            try:
                self.kill_container(container)
            except ContainerNotFound:
                raise
            except EngineError:
                pass  # not running
        with engine_errors(f"container {container}", not_found=ContainerNotFound):
            check(
                self._api.delete(
                    f"/containers/{container}",
                    params={"force": force, "volumes": volumes, "timeout": 0},
                )
            )

    def inspect_container(self, container: str, *, probe: bool = True) -> ContainerInfo:
        document = self._inspect(container)
        self._view().keep(document, self._networks.is_internal)  # restarted by Podman itself?
        if probe and containers.needs_probe(document):
            # Without systemd Podman never probes: run one now and report its outcome.
            try:
                self.run_healthcheck(container)
                document = self._inspect(container)
            except EngineError:
                pass  # stopped meanwhile: report what Podman stored
        return containers.container_info(document, containers.stored_health(document))

    def list_containers(
        self, labels: LabelSelector, *, all: bool = True, health: bool = True
    ) -> list[ContainerInfo]:
        filters = {"label": label_filters(labels)} if labels else {}
        params = {"all": all, "filters": json.dumps(filters)}
        with engine_errors("containers"):
            summaries = body(self._api.get("/containers/json", params=params)) or []
        ids = [str(summary["Id"]) for summary in summaries]
        # In parallel: with health, each inspection may run a probe (Podman never runs one).
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(ids)))) as pool:
            infos = list(pool.map(partial(self._inspect_listed, probe=health), ids))
        return [info for info in infos if info is not None]

    def _inspect_listed(self, container: str, *, probe: bool) -> ContainerInfo | None:
        """Inspect a container that was just listed; None if it has gone since."""
        try:
            return self.inspect_container(container, probe=probe)
        except ContainerNotFound:
            return None
        except EngineError:
            # Podman 4.3 answers 500, not 404, for a container removed mid-inspect: ask again.
            if self._container_exists(container):
                raise
            return None

    def _container_exists(self, container: str) -> bool:
        with engine_errors(f"container {container}"):
            response = self._api.get(f"/containers/{container}/exists")
        return bool(response.status_code == 204)

    def container_logs(
        self, container: str, *, tail: int | None = None, follow: bool = False
    ) -> Iterator[str]:
        params = {
            "stdout": True,
            "stderr": True,
            "follow": follow,
            "tail": "all" if tail is None else str(tail),
        }
        what = f"logs of container {container}"
        with engine_errors(what, not_found=ContainerNotFound):
            response = check(self._api.get(f"/containers/{container}/logs", params=params, stream=True))
        return _guarded(response, what)

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
        user = self.exec_user(container, user)
        if self._view().enabled:
            self._view().keep(self._inspect(container), self._networks.is_internal)
        return run_exec(self._api, container, argv, user=user, env=env, workdir=workdir, timeout=timeout)

    def exec_user(self, container: str, user: str | None) -> str | None:
        if user is not None and users.is_root(user):
            return user
        key = (container, user)
        if key not in self._exec_users:
            configured = self._configured_users.get(container)
            if configured is None:
                configured = _configured_user(self._inspect(container))
            spelled = users.exec_user(user, configured, partial(users.read_file, self._api, container))
            if _is_full_id(container):  # a name may name another container later
                self._exec_users[key] = spelled
            return spelled
        return self._exec_users[key]

    def run_healthcheck(self, container: str) -> HealthProbe:
        return run_probe(self._api, container, self._inspect)

    # ------------------------------------------------------------ helpers
    def _inspect(self, container: str) -> JSON:
        attempts = 0
        while True:
            try:
                with engine_errors(f"container {container}", not_found=ContainerNotFound):
                    document: JSON = body(self._api.get(f"/containers/{container}/json"))
                self._configured_users[str(document.get("Id", ""))] = _configured_user(document)
                return document
            except (ContainerNotFound, EngineGone):
                raise
            except EngineError:
                # Podman answers 500 to an inspect that races the container's exit ("read
                # /proc/N/cgroup: no such process"); a moment later it answers.
                attempts += 1
                if attempts == _INSPECT_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempts)

    def _engine_rlimits(self, image: str) -> dict[str, tuple[int, int]]:
        """The rlimits Podman gives a container by default (containers.conf), learned once."""
        if self._default_rlimits is None:
            with engine_errors("default rlimits"):
                probe = body(self._api.post("/containers/create", data=json.dumps({"image": image})))
                try:
                    document = body(self._api.get(f"/containers/{probe['Id']}/json"))
                finally:
                    self._api.delete(f"/containers/{probe['Id']}", params={"force": True})
            self._default_rlimits = containers.default_rlimits(document)
        return self._default_rlimits


def _configured_user(document: JSON) -> str:
    return str((document.get("Config") or {}).get("User") or "")


def _guarded(response: Any, what: str) -> Iterator[str]:
    """The log stream's lines, its errors in labkit's hierarchy, its connection closed at the end.

    Closing matters when the caller stops early: a followed stream would stay open otherwise.
    """
    try:
        with engine_errors(what):
            yield from lines(payload for _stream, payload in frames(response.raw.read))
    finally:
        response.close()
