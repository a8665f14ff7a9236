"""The Docker adapter: the `Runtime` Protocol on docker-py's low-level `APIClient`.

Docker is the reference behaviour, so this adapter mostly translates: specs into Engine API
payloads and inspect documents into `specs` dataclasses (`convert.py`), build streams into
progress lines and BuildFailed (`build.py`), and SDK exceptions into `toolkit.errors`
(`errors.py`, one context manager). Two things go beyond translation: exec timeouts
(`exec.py`: the API has no exec kill) and health, which labkit probes on demand as it does
on Podman.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors
from docker.types import IPAMConfig, IPAMPool
from docker.utils import parse_repository_tag

from toolkit.errors import (
    BuildFailed,
    ContainerNotFound,
    EngineError,
    EngineUnavailable,
    ImageNotFound,
    NameConflict,
    NetworkNotFound,
    NotFound,
    UsageError,
    VolumeNotFound,
)
from toolkit.runtime.docker.build import run_build
from toolkit.runtime.docker.convert import (
    Doc,
    container_info,
    create_args,
    engine_capabilities,
    healthcheck,
    host_config_args,
    image_info,
    label_filters,
    network_info,
    volume_info,
)
from toolkit.runtime.docker.errors import engine_errors
from toolkit.runtime.docker.exec import run_exec
from toolkit.runtime.docker.health import Probes
from toolkit.runtime.docker.interfaces import Endpoints
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import (
    BuildSpec,
    ContainerInfo,
    ContainerSpec,
    EngineInfo,
    ExecResult,
    HealthcheckSpec,
    HealthProbe,
    HealthStatus,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    NetworkSpec,
    VolumeInfo,
    VolumeSpec,
)
from toolkit.runtime.streams import lines


class DockerRuntime:
    """A Docker engine reached through its unix socket."""

    def __init__(self, socket_path: str) -> None:
        self._socket = socket_path
        try:
            # version="auto" asks the daemon, so a 20.10 engine (API 1.41) is not sent newer calls.
            self._api: Any = docker.APIClient(base_url=f"unix://{socket_path}", version="auto", timeout=120)
        except docker.errors.DockerException as exc:
            raise EngineUnavailable(
                f"Docker does not answer at {socket_path} ({exc}): start dockerd "
                "(scripts/provision-engines does) or choose another engine"
            ) from exc
        self._probes = Probes(lambda container, argv, timeout: self.exec(container, argv, timeout=timeout))

    @property
    def name(self) -> str:
        return "docker"

    def _errors(
        self,
        action: str,
        not_found: type[NotFound] = NotFound,
        conflict: type[EngineError] = EngineError,
    ) -> AbstractContextManager[None]:
        """Turn docker-py's and requests' exceptions into toolkit errors, by type and status."""
        return engine_errors(action, socket=self._socket, not_found=not_found, conflict=conflict)

    def info(self) -> EngineInfo:
        with self._errors("reading Docker's version"):
            version = self._api.version()
            details = self._api.info()
            security = details.get("SecurityOptions") or []
        return EngineInfo(
            name="docker",
            version=version.get("Version", ""),
            api_version=version.get("ApiVersion", ""),
            rootless=any("name=rootless" in option for option in security),
            socket=self._socket,
            os=version.get("Os", ""),
            arch=version.get("Arch", ""),
            **engine_capabilities(details),
        )

    def close(self) -> None:
        self._api.close()

    # ------------------------------------------------------------ images
    def image_exists(self, ref: str) -> bool:
        try:
            self.inspect_image(ref)
        except ImageNotFound:
            return False
        return True

    def inspect_image(self, ref: str) -> ImageInfo:
        with self._errors(f"inspecting image {ref}", ImageNotFound):
            return image_info(self._api.inspect_image(ref))

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]:
        with self._errors("listing images"):
            ids = dict.fromkeys(i["Id"] for i in self._api.images(filters=label_filters(labels)))
        images = []
        for image_id in ids:
            with contextlib.suppress(ImageNotFound):  # removed since the listing
                images.append(self.inspect_image(image_id))
        return images

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        if not spec.tags:
            raise UsageError("an image build needs at least one tag")
        if not spec.context.is_dir():
            raise BuildFailed(f"build context {spec.context} is not a folder; check the path")
        built = run_build(self._api, self._socket, spec, on_progress) or spec.tags[0]
        for tag in spec.tags[1:]:
            self.tag_image(built, tag)
        return self.inspect_image(built)

    def tag_image(self, ref: str, new_ref: str) -> None:
        repository, tag = parse_repository_tag(new_ref)
        with self._errors(f"tagging {ref} as {new_ref}", ImageNotFound):
            self._api.tag(ref, repository, tag or "latest")

    def remove_image(self, ref: str, force: bool = False) -> None:
        with self._errors(f"removing image {ref}", ImageNotFound):
            self._api.remove_image(ref, force=force)

    def push_image(self, ref: str, destination: str, *, insecure: bool = False) -> None:
        # Docker pushes a name it holds: tag, push, then take the extra name away again.
        # `insecure` is the daemon's to grant (insecure-registries; localhost always is).
        self.tag_image(ref, destination)
        try:
            repository, tag = parse_repository_tag(destination)
            with self._errors(f"pushing {ref} as {destination}", ImageNotFound):
                for event in self._api.push(repository, tag or "latest", stream=True, decode=True):
                    if "error" in event:
                        raise EngineError(f"pushing {ref} as {destination}: {event['error']}")
        finally:
            self.remove_image(destination)

    def save_images(self, refs: Sequence[str], path: Path) -> None:
        try:
            with self._errors(f"saving {', '.join(refs)}", ImageNotFound):
                # docker-py saves one image per call; GET /images/get?names=... writes them all to
                # one archive, so its private URL and status helpers are used for that one call.
                response = self._api.get(
                    self._api._url("/images/get"), params={"names": list(refs)}, stream=True
                )
                self._api._raise_for_status(response)
                with path.open("wb") as out:
                    for block in response.iter_content(1 << 20):
                        out.write(block)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def load_images(self, path: Path) -> list[str]:
        loaded: list[str] = []
        with self._errors(f"loading images from {path}"), path.open("rb") as archive:
            for chunk in self._api.load_image(archive):
                if chunk.get("error"):
                    raise EngineError(f"loading {path}: {chunk['error']}; is it an image archive?")
                for line in chunk.get("stream", "").splitlines():
                    for prefix in ("Loaded image: ", "Loaded image ID: "):
                        if line.startswith(prefix):
                            loaded.append(line[len(prefix) :].strip())
        return loaded

    def import_rootfs(
        self,
        tar_path: Path,
        ref: str,
        *,
        changes: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> ImageInfo:
        if not tar_path.is_file():
            raise UsageError(f"root filesystem tarball {tar_path} does not exist")
        # `docker import` has no labels option: LABEL instructions among the changes do it.
        label_changes = [f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in (labels or {}).items()]
        repository, tag = parse_repository_tag(ref)
        with self._errors(f"importing {tar_path} as {ref}"):
            self._api.import_image_from_file(
                str(tar_path),
                repository=repository,
                tag=tag or "latest",
                changes=[*changes, *label_changes] or None,
            )
        return self.inspect_image(ref)

    # ------------------------------------------------------------ networks
    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        ipam = None
        if spec.subnet or spec.gateway:
            ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=spec.subnet, gateway=spec.gateway)])
        with self._errors(f"creating network {spec.name}", conflict=NameConflict):
            self._api.create_network(
                spec.name,
                driver="bridge",
                ipam=ipam,
                internal=spec.internal,
                labels=dict(spec.labels) or None,
                check_duplicate=True,
            )
        return self.inspect_network(spec.name)

    def inspect_network(self, name: str) -> NetworkInfo:
        with self._errors(f"inspecting network {name}", NetworkNotFound):
            return network_info(self._api.inspect_network(name))

    def remove_network(self, name: str) -> None:
        with self._errors(f"removing network {name}", NetworkNotFound):
            self._api.remove_network(name)

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        with self._errors("listing networks"):
            return [network_info(n) for n in self._api.networks(filters=label_filters(labels))]

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo:
        with self._errors(f"creating volume {spec.name}", conflict=NameConflict):
            raw = self._api.create_volume(
                spec.name, "local", dict(spec.driver_opts) or None, dict(spec.labels)
            )
        return volume_info(raw)

    def remove_volume(self, name: str, force: bool = False) -> None:
        with self._errors(f"removing volume {name}", VolumeNotFound):
            self._api.remove_volume(name, force=force)

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]:
        with self._errors("listing volumes"):
            raw = self._api.volumes(filters=label_filters(labels)).get("Volumes") or []
        return [volume_info(v) for v in raw]

    # ------------------------------------------------------------ containers
    def create_container(self, spec: ContainerSpec) -> str:
        endpoints = Endpoints(
            spec,
            self._api,
            engine_version=lambda: self.info().version,  # asked only to refuse, naming it
            is_internal=lambda network: self.inspect_network(network).internal,
        )
        with self._errors(f"creating container {spec.name}", conflict=NameConflict):
            created = self._api.create_container(
                spec.image,
                **create_args(spec, self._api.api_version),
                host_config=self._api.create_host_config(**host_config_args(spec)),
                networking_config=endpoints.at_create(),
            )
        container_id = str(created["Id"])
        try:
            # API 1.41 takes one network at create; the others join before the container starts.
            for attachment, options in endpoints.to_connect():
                with self._errors(f"connecting {spec.name} to {attachment.network}", NetworkNotFound):
                    self._api.connect_container_to_network(container_id, attachment.network, **options)
        except BaseException:
            with contextlib.suppress(Exception):
                self._api.remove_container(container_id, force=True)
            raise
        return container_id

    def start_container(self, container: str) -> None:
        with self._errors(f"starting container {container}", ContainerNotFound):
            self._api.start(container)

    def stop_container(self, container: str, timeout: float = 10.0) -> None:
        with self._errors(f"stopping container {container}", ContainerNotFound):
            self._api.stop(container, timeout=math.ceil(timeout))

    def kill_container(self, container: str, signal: str = "SIGKILL") -> None:
        with self._errors(f"killing container {container}", ContainerNotFound):
            self._api.kill(container, signal=signal)

    def remove_container(self, container: str, *, force: bool = True, volumes: bool = False) -> None:
        # Forced, Docker kills a running container at once (no stop timeout, unlike Podman).
        with self._errors(f"removing container {container}", ContainerNotFound):
            self._api.remove_container(container, force=force, v=volumes)

    def _inspect(self, container: str) -> Doc:
        with self._errors(f"inspecting container {container}", ContainerNotFound):
            return cast(Doc, self._api.inspect_container(container))

    def _healthcheck_of(self, raw: Doc) -> HealthcheckSpec | None:
        """The container's healthcheck: Docker copies the image's into Config at create."""
        spec = healthcheck((raw.get("Config") or {}).get("Healthcheck"))
        if spec is None and raw.get("Image"):
            with contextlib.suppress(ImageNotFound):
                spec = self.inspect_image(raw["Image"]).healthcheck
        return None if spec is None or spec.disabled else spec

    def inspect_container(self, container: str, *, probe: bool = True) -> ContainerInfo:
        raw = self._inspect(container)
        state = raw.get("State") or {}
        health: HealthStatus | None = (state.get("Health") or {}).get("Status") or None
        spec = self._healthcheck_of(raw) if health else None
        if spec is None:
            health = None  # State.Health outlives a healthcheck disabled with NONE
        elif health == "starting" and state.get("Running"):
            # Docker's first probe comes only after a full interval; labkit probes now, as the
            # Podman adapter must (no systemd there), so both engines report health alike.
            if self._probes.passed_within(raw["Id"], spec.interval):
                health = "healthy"
            elif probe:
                with contextlib.suppress(EngineError):
                    if self._probes.run(raw["Id"], spec).passed:
                        health = "healthy"
        return container_info(raw, health)

    def list_containers(
        self, labels: LabelSelector, *, all: bool = True, health: bool = True
    ) -> list[ContainerInfo]:
        with self._errors("listing containers"):
            found = self._api.containers(all=all, filters=label_filters(labels))

        def inspect(container_id: str) -> ContainerInfo | None:
            with contextlib.suppress(ContainerNotFound):  # removed since the listing
                return self.inspect_container(container_id, probe=health)
            return None

        ids = [str(summary["Id"]) for summary in found]
        # In parallel: one inspection's time for the whole listing, not one per container.
        with ThreadPoolExecutor(max(1, min(8, len(ids))), thread_name_prefix="labkit-ls") as pool:
            infos = list(pool.map(inspect, ids))
        return [info for info in infos if info is not None]

    def container_logs(
        self, container: str, *, tail: int | None = None, follow: bool = False
    ) -> Iterator[str]:
        with self._errors(f"reading logs of {container}", ContainerNotFound):
            stream = self._api.logs(
                container, stream=True, follow=follow, tail="all" if tail is None else tail
            )
        try:
            with self._errors(f"reading logs of {container}", ContainerNotFound):
                # docker-py has already taken the frames apart: the blocks are their payloads.
                yield from lines(stream)
        finally:
            stream.close()

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
        return run_exec(
            self._api,
            self._socket,
            container,
            argv,
            user=user,
            env=env,
            workdir=workdir,
            timeout=timeout,
        )

    def exec_user(self, container: str, user: str | None) -> str | None:
        return user  # Docker already gives a non-root user no capability

    def run_healthcheck(self, container: str) -> HealthProbe:
        raw = self._inspect(container)
        spec = self._healthcheck_of(raw)
        if spec is None:
            raise EngineError(f"container {container} has no healthcheck; add one to its image or service")
        return self._probes.run(raw["Id"], spec)
