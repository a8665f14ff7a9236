"""The Docker adapter: the `Runtime` Protocol on docker-py's low-level `APIClient`.

Docker is the reference behaviour, so this adapter mostly translates: specs into Engine API
payloads, inspect documents into `specs` dataclasses, and SDK exceptions into `toolkit.errors`
(all of it in `_errors`, one context manager). Two things go beyond translation: exec timeouts
(the API has no exec kill) and health, which labkit probes on demand as it does on Podman.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import re
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import docker
import docker.errors
import requests
from docker.types import IPAMConfig, IPAMPool
from docker.types import Mount as DockerMount
from docker.types import Ulimit as DockerUlimit
from docker.utils import parse_repository_tag, version_gte

from toolkit.errors import (
    BuildFailed,
    ContainerNotFound,
    EngineError,
    EngineGone,
    EngineUnavailable,
    ExecTimeout,
    ImageNotFound,
    NameConflict,
    NetworkNotFound,
    NotFound,
    UsageError,
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
    HealthStatus,
    ImageInfo,
    LabelSelector,
    NetworkInfo,
    NetworkSpec,
    PortBinding,
    VolumeInfo,
    VolumeSpec,
)

Doc = dict[str, Any]  # an Engine API JSON document, only ever read inside this module

_NS = 1_000_000_000
_STEP = re.compile(r"^Step \d+/\d+ : ")
_LOG_TAIL = 20
_HINTS: dict[type[NotFound], str] = {
    ImageNotFound: "build, load or import it first",
    ContainerNotFound: "check the name; it may have been removed",
    NetworkNotFound: "check the name; it may have been removed",
    VolumeNotFound: "check the name; it may have been removed",
    NotFound: "check the names in the request",
}


def _label_filters(labels: LabelSelector) -> dict[str, list[str]]:
    return {"label": [key if value is None else f"{key}={value}" for key, value in labels.items()]}


def _seconds(value: Any) -> float | None:
    return value / _NS if value else None


def _healthcheck(raw: Doc | None) -> HealthcheckSpec | None:
    """Docker's Config.Healthcheck (nanoseconds, 0 = default) as a HealthcheckSpec (seconds)."""
    if not raw or not raw.get("Test"):
        return None
    defaults = HealthcheckSpec(test=())
    return HealthcheckSpec(
        test=tuple(raw["Test"]),
        interval=_seconds(raw.get("Interval")) or defaults.interval,
        timeout=_seconds(raw.get("Timeout")) or defaults.timeout,
        retries=raw.get("Retries") or defaults.retries,
        start_period=_seconds(raw.get("StartPeriod")) or defaults.start_period,
        start_interval=_seconds(raw.get("StartInterval")) or defaults.start_interval,
    )


def _healthcheck_payload(spec: HealthcheckSpec, api_version: str) -> Doc:
    if spec.disabled:
        return {"Test": ["NONE"]}
    payload: Doc = {
        "Test": list(spec.test),
        "Interval": int(spec.interval * _NS),
        "Timeout": int(spec.timeout * _NS),
        "Retries": spec.retries,
        "StartPeriod": int(spec.start_period * _NS),
    }
    if version_gte(api_version, "1.44"):  # StartInterval is new in Docker 25
        payload["StartInterval"] = int(spec.start_interval * _NS)
    return payload


def _image_info(raw: Doc) -> ImageInfo:
    config = raw.get("Config") or {}
    return ImageInfo(
        id=raw["Id"],
        tags=tuple(raw.get("RepoTags") or ()),
        labels=dict(config.get("Labels") or {}),
        created=str(raw.get("Created", "")),
        size=int(raw.get("Size") or 0),
        healthcheck=_healthcheck(config.get("Healthcheck")),
    )


def _network_info(raw: Doc) -> NetworkInfo:
    pools = (raw.get("IPAM") or {}).get("Config") or [{}]
    return NetworkInfo(
        id=raw["Id"],
        name=raw["Name"],
        subnet=pools[0].get("Subnet") or None,
        gateway=pools[0].get("Gateway") or None,
        internal=bool(raw.get("Internal")),
        labels=dict(raw.get("Labels") or {}),
    )


def _published_ports(raw: Doc) -> tuple[PortBinding, ...]:
    found: dict[tuple[int, str, int, str], PortBinding] = {}
    for key, bindings in ((raw.get("NetworkSettings") or {}).get("Ports") or {}).items():
        port, _, protocol = key.partition("/")
        for binding in bindings or ():
            host_port = int(binding.get("HostPort") or 0)
            host_ip = binding.get("HostIp", "")
            found[(int(port), protocol, host_port, host_ip)] = PortBinding(
                int(port), "udp" if protocol == "udp" else "tcp", host_port or None, host_ip
            )
    return tuple(found.values())


def _container_info(raw: Doc, health: HealthStatus | None) -> ContainerInfo:
    state = raw.get("State") or {}
    status = ContainerState(state.get("Status", "created"))
    networks = (raw.get("NetworkSettings") or {}).get("Networks") or {}
    return ContainerInfo(
        id=raw["Id"],
        name=raw["Name"].lstrip("/"),
        image=(raw.get("Config") or {}).get("Image") or raw.get("Image", ""),
        state=status,
        exit_code=state.get("ExitCode") if status in (ContainerState.EXITED, ContainerState.DEAD) else None,
        labels=dict((raw.get("Config") or {}).get("Labels") or {}),
        ips={name: net["IPAddress"] for name, net in networks.items() if net.get("IPAddress")},
        ports=_published_ports(raw),
        health=health,
        started_at=state.get("StartedAt", ""),
    )


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, found through /proc (the exec'd command may fork)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def _kill_exec_process(pid: int, container_id: str) -> bool:
    """SIGKILL an exec'd process tree; False when it is not visible from here.

    The Engine API cannot kill an exec, but its Pid is a host pid: when this process shares the
    daemon's PID namespace (the usual local socket) the tree can be killed directly. The cgroup
    check makes sure the pid still belongs to the container and was not reused.
    """
    try:
        if not pid or container_id not in Path(f"/proc/{pid}/cgroup").read_text():
            return False
        for victim in [pid, *_descendants(pid)]:
            with contextlib.suppress(OSError):
                os.kill(victim, signal.SIGKILL)
    except OSError:
        return False
    return True


class DockerRuntime:
    """A Docker engine reached through its unix socket."""

    def __init__(self, socket_path: str) -> None:
        self._socket = socket_path
        try:
            # version="auto" asks the daemon, so a 20.10 engine (API 1.41) is not sent newer calls.
            self._api: Any = docker.APIClient(
                base_url=f"unix://{socket_path}", version="auto", timeout=120
            )
        except docker.errors.DockerException as exc:
            raise EngineUnavailable(
                f"Docker does not answer at {socket_path} ({exc}): start dockerd "
                "(scripts/provision-engines does) or choose another engine"
            ) from exc

    @property
    def name(self) -> str:
        return "docker"

    @contextlib.contextmanager
    def _errors(
        self,
        action: str,
        not_found: type[NotFound] = NotFound,
        conflict: type[EngineError] = EngineError,
    ) -> Iterator[None]:
        """Turn docker-py's and requests' exceptions into toolkit errors, by type and status."""
        try:
            yield
        except docker.errors.ImageNotFound as exc:
            raise ImageNotFound(f"{action}: {exc.explanation}; {_HINTS[ImageNotFound]}") from exc
        except docker.errors.NotFound as exc:
            raise not_found(f"{action}: {exc.explanation}; {_HINTS[not_found]}") from exc
        except docker.errors.APIError as exc:
            if exc.status_code == 409:
                hint = "choose another name or remove the old one" if conflict is NameConflict else ""
                raise conflict(f"{action}: {exc.explanation}" + (f"; {hint}" if hint else "")) from exc
            raise EngineError(f"{action}: Docker refused: {exc.explanation or exc}") from exc
        except requests.exceptions.Timeout as exc:
            raise EngineError(f"{action}: Docker did not answer in time; check `docker info`") from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,  # the daemon died mid-stream
            ConnectionError,
        ) as exc:
            raise EngineGone(
                f"{action}: Docker stopped answering at {self._socket}; restart dockerd and retry"
            ) from exc
        except FileNotFoundError as exc:
            if os.path.exists(self._socket):
                raise
            raise EngineGone(f"{action}: Docker's socket {self._socket} is gone; restart dockerd") from exc
        except docker.errors.DockerException as exc:
            raise EngineError(f"{action}: {exc}") from exc

    def info(self) -> EngineInfo:
        with self._errors("reading Docker's version"):
            version = self._api.version()
            security = self._api.info().get("SecurityOptions") or []
        return EngineInfo(
            name="docker",
            version=version.get("Version", ""),
            api_version=version.get("ApiVersion", ""),
            rootless=any("name=rootless" in option for option in security),
            socket=self._socket,
            os=version.get("Os", ""),
            arch=version.get("Arch", ""),
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
            return _image_info(self._api.inspect_image(ref))

    def list_images(self, labels: LabelSelector) -> list[ImageInfo]:
        with self._errors("listing images"):
            ids = dict.fromkeys(i["Id"] for i in self._api.images(filters=_label_filters(labels)))
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
        tail: collections.deque[str] = collections.deque(maxlen=_LOG_TAIL)
        step, error, image_id, pending = "", "", "", ""

        def emit(line: str) -> None:
            nonlocal step
            if _STEP.match(line):
                step = line
            tail.append(line)
            if on_progress is not None:
                on_progress(line)

        with self._errors(f"building {spec.tags[0]}"):
            try:
                for chunk in self._api.build(
                    path=str(spec.context),
                    dockerfile=self._containerfile(spec),
                    tag=spec.tags[0],
                    buildargs=dict(spec.build_args) or None,
                    labels=dict(spec.labels) or None,
                    target=spec.target,
                    nocache=spec.no_cache,
                    rm=True,
                    forcerm=True,
                    decode=True,
                    timeout=None,  # a silent RUN step may take longer than any HTTP timeout
                ):
                    pending += chunk.get("stream", "")
                    *lines, pending = pending.split("\n")
                    for line in lines:
                        emit(line.rstrip("\r"))
                    if chunk.get("status"):
                        emit(f"{chunk['status']} {chunk.get('progress', '')}".rstrip())
                    if "error" in chunk:
                        error = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
                    image_id = (chunk.get("aux") or {}).get("ID", image_id)
            except docker.errors.APIError as exc:  # refused before any step ran (bad Containerfile path)
                error = str(exc.explanation or exc)
            if pending:
                emit(pending)
            if error:
                tail.append(error)
                at = f" at {step!r}" if step else ""
                raise BuildFailed(
                    f"building {spec.tags[0]} failed{at}: {error}; fix the Containerfile and rebuild",
                    step=step,
                    log_tail=list(tail),
                )
        for tag in spec.tags[1:]:
            self.tag_image(image_id or spec.tags[0], tag)
        return self.inspect_image(image_id or spec.tags[0])

    @staticmethod
    def _containerfile(spec: BuildSpec) -> str:
        if spec.containerfile is None:
            # The classic builder only looks for `Dockerfile` by itself.
            found = spec.context / "Containerfile"
            return "Containerfile" if found.exists() else "Dockerfile"
        path = spec.containerfile
        if path.is_absolute() and path.is_relative_to(spec.context):
            path = path.relative_to(spec.context)
        return str(path)  # absolute outside the context: docker-py adds it to the context

    def tag_image(self, ref: str, new_ref: str) -> None:
        repository, tag = parse_repository_tag(new_ref)
        with self._errors(f"tagging {ref} as {new_ref}", ImageNotFound):
            self._api.tag(ref, repository, tag or "latest")

    def remove_image(self, ref: str, force: bool = False) -> None:
        with self._errors(f"removing image {ref}", ImageNotFound):
            self._api.remove_image(ref, force=force)

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
                str(tar_path), repository=repository, tag=tag or "latest",
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
                spec.name, driver="bridge", ipam=ipam, internal=spec.internal,
                labels=dict(spec.labels) or None, check_duplicate=True,
            )
        return self.inspect_network(spec.name)

    def inspect_network(self, name: str) -> NetworkInfo:
        with self._errors(f"inspecting network {name}", NetworkNotFound):
            return _network_info(self._api.inspect_network(name))

    def remove_network(self, name: str) -> None:
        with self._errors(f"removing network {name}", NetworkNotFound):
            self._api.remove_network(name)

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        with self._errors("listing networks"):
            return [_network_info(n) for n in self._api.networks(filters=_label_filters(labels))]

    # ------------------------------------------------------------ volumes
    def create_volume(self, spec: VolumeSpec) -> VolumeInfo:
        with self._errors(f"creating volume {spec.name}", conflict=NameConflict):
            raw = self._api.create_volume(spec.name, driver="local", labels=dict(spec.labels))
        return VolumeInfo(raw["Name"], dict(raw.get("Labels") or {}), raw.get("Mountpoint", ""))

    def remove_volume(self, name: str, force: bool = False) -> None:
        with self._errors(f"removing volume {name}", VolumeNotFound):
            self._api.remove_volume(name, force=force)

    def list_volumes(self, labels: LabelSelector) -> list[VolumeInfo]:
        with self._errors("listing volumes"):
            raw = self._api.volumes(filters=_label_filters(labels)).get("Volumes") or []
        return [VolumeInfo(v["Name"], dict(v.get("Labels") or {}), v.get("Mountpoint", "")) for v in raw]

    # ------------------------------------------------------------ containers
    def _host_config(self, spec: ContainerSpec) -> Any:
        bindings: dict[str, list[Doc]] = collections.defaultdict(list)
        for port in spec.ports:
            bindings[f"{port.container_port}/{port.protocol}"].append(
                {"HostIp": port.host_ip, "HostPort": str(port.host_port or "")}
            )
        restart = None if spec.restart == "no" else {"Name": spec.restart}
        return self._api.create_host_config(
            network_mode=spec.networks[0].network if spec.networks else None,
            dns=list(spec.dns) or None,
            extra_hosts=[f"{host}:{ip}" for host, ip in spec.extra_hosts] or None,
            cap_add=list(spec.cap_add) or None,
            cap_drop=list(spec.cap_drop) or None,
            privileged=spec.privileged,
            sysctls=dict(spec.sysctls) or None,
            mounts=[
                DockerMount(m.target, m.source or None, type=m.kind, read_only=m.read_only)
                for m in spec.mounts
            ] or None,
            port_bindings=dict(bindings) or None,
            init=spec.init or None,
            read_only=spec.read_only or None,
            ulimits=[DockerUlimit(name=u.name, soft=u.soft, hard=u.hard) for u in spec.ulimits] or None,
            mem_limit=spec.mem_limit,
            nano_cpus=int(spec.cpus * _NS) if spec.cpus else None,
            pids_limit=spec.pids_limit,
            restart_policy=restart,
        )

    def create_container(self, spec: ContainerSpec) -> str:
        networking = None
        if spec.networks:
            first = spec.networks[0]
            endpoint = self._api.create_endpoint_config(
                ipv4_address=first.ipv4_address, aliases=list(first.aliases) or None
            )
            networking = self._api.create_networking_config({first.network: endpoint})
        with self._errors(f"creating container {spec.name}", conflict=NameConflict):
            created = self._api.create_container(
                spec.image,
                command=list(spec.command) if spec.command is not None else None,
                entrypoint=list(spec.entrypoint) if spec.entrypoint is not None else None,
                name=spec.name,
                hostname=spec.hostname,
                domainname=spec.domainname,
                user=spec.user,
                environment=dict(spec.environment) or None,
                labels=dict(spec.labels) or None,
                working_dir=spec.working_dir,
                tty=spec.tty,
                stdin_open=spec.stdin_open,
                ports=[(p.container_port, p.protocol) for p in spec.ports] or None,
                healthcheck=(
                    _healthcheck_payload(spec.healthcheck, self._api.api_version)
                    if spec.healthcheck
                    else None
                ),
                stop_timeout=math.ceil(spec.stop_timeout) if spec.stop_timeout is not None else None,
                host_config=self._host_config(spec),
                networking_config=networking,
            )
        container_id = str(created["Id"])
        try:
            # API 1.41 takes one network at create; the others join before the container starts.
            for attachment in spec.networks[1:]:
                with self._errors(f"connecting {spec.name} to {attachment.network}", NetworkNotFound):
                    self._api.connect_container_to_network(
                        container_id, attachment.network,
                        ipv4_address=attachment.ipv4_address, aliases=list(attachment.aliases) or None,
                    )
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
        if force:
            with contextlib.suppress(EngineError):  # not running, or gone: remove says which
                self.kill_container(container)
        with self._errors(f"removing container {container}", ContainerNotFound):
            self._api.remove_container(container, force=force, v=volumes)

    def _inspect(self, container: str) -> Doc:
        with self._errors(f"inspecting container {container}", ContainerNotFound):
            return cast(Doc, self._api.inspect_container(container))

    def _healthcheck_of(self, raw: Doc) -> HealthcheckSpec | None:
        """The container's healthcheck: Docker copies the image's into Config at create."""
        spec = _healthcheck((raw.get("Config") or {}).get("Healthcheck"))
        if spec is None and raw.get("Image"):
            with contextlib.suppress(ImageNotFound):
                spec = self.inspect_image(raw["Image"]).healthcheck
        return None if spec is None or spec.disabled else spec

    def inspect_container(self, container: str) -> ContainerInfo:
        raw = self._inspect(container)
        state = raw.get("State") or {}
        health: HealthStatus | None = (state.get("Health") or {}).get("Status") or None
        spec = self._healthcheck_of(raw) if health else None
        if spec is None:
            health = None  # State.Health outlives a healthcheck disabled with NONE
        elif health == "starting" and state.get("Running"):
            # Docker's first probe comes only after a full interval; labkit probes now, as the
            # Podman adapter must (no systemd there), so both engines report health alike.
            with contextlib.suppress(EngineError):
                if self._probe(raw["Id"], spec).passed:
                    health = "healthy"
        return _container_info(raw, health)

    def list_containers(self, labels: LabelSelector, *, all: bool = True) -> list[ContainerInfo]:
        with self._errors("listing containers"):
            found = self._api.containers(all=all, filters=_label_filters(labels))
        infos = []
        for summary in found:
            with contextlib.suppress(ContainerNotFound):  # removed since the listing
                infos.append(self.inspect_container(summary["Id"]))
        return infos

    def container_logs(
        self, container: str, *, tail: int | None = None, follow: bool = False
    ) -> Iterator[str]:
        with self._errors(f"reading logs of {container}", ContainerNotFound):
            stream = self._api.logs(
                container, stream=True, follow=follow, tail="all" if tail is None else tail
            )
        try:
            pending = b""
            with self._errors(f"reading logs of {container}", ContainerNotFound):
                for block in stream:
                    pending += block
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        yield line.decode(errors="replace").rstrip("\r")
            if pending:
                yield pending.decode(errors="replace")
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
        started = time.monotonic()
        with self._errors(f"running {argv[0] if argv else '?'} in {container}", ContainerNotFound):
            exec_id = self._api.exec_create(
                container, list(argv), user=user or "", environment=dict(env or {}) or None,
                workdir=workdir,
            )["Id"]
        out: list[bytes] = []
        err: list[bytes] = []
        failures: list[BaseException] = []

        def pump() -> None:
            try:
                for stdout, stderr in self._api.exec_start(exec_id, stream=True, demux=True):
                    out.append(stdout or b"")
                    err.append(stderr or b"")
            except BaseException as exc:  # handed to the caller's thread below
                failures.append(exc)

        # A daemon thread, not an executor: a command that cannot be killed must not keep the
        # interpreter from exiting.
        reader = threading.Thread(target=pump, name=f"exec-{exec_id[:12]}", daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            killed = self._kill_exec(exec_id, container)
            reader.join(2.0)  # the stream ends once the process is gone: keep its last output
            output = (b"".join(out) + b"".join(err)).decode(errors="replace")
            fate = "it was killed" if killed else "it may still be running in the container"
            raise ExecTimeout(
                f"{' '.join(argv)!r} in {container} did not finish within {timeout:g} s; {fate}",
                timeout=timeout or 0.0,
                output=output,
            )
        with self._errors(f"running {argv[0] if argv else '?'} in {container}", ContainerNotFound):
            if failures:
                raise failures[0]
            exit_code = self._exit_code(exec_id)
        return ExecResult(
            exit_code=exit_code,
            stdout=b"".join(out).decode(errors="replace"),
            stderr=b"".join(err).decode(errors="replace"),
            duration=time.monotonic() - started,
        )

    def _exit_code(self, exec_id: str) -> int:
        # The output stream can close a moment before Docker records the exit code.
        for _ in range(100):
            state = self._api.exec_inspect(exec_id)
            if not state.get("Running") and state.get("ExitCode") is not None:
                return int(state["ExitCode"])
            time.sleep(0.02)
        raise EngineError(f"Docker never reported the exit code of exec {exec_id[:12]}")

    def _kill_exec(self, exec_id: str, container: str) -> bool:
        with contextlib.suppress(EngineError, EngineGone):
            for _ in range(50):  # the process may not have started yet
                with self._errors(f"inspecting exec in {container}"):
                    state = self._api.exec_inspect(exec_id)
                if state.get("Pid") or not state.get("Running") and state.get("ExitCode") is not None:
                    break
                time.sleep(0.05)
            if not state.get("Running"):
                return state.get("ExitCode") is not None
            return _kill_exec_process(int(state["Pid"]), state.get("ContainerID", ""))
        return False

    def run_healthcheck(self, container: str) -> HealthProbe:
        raw = self._inspect(container)
        spec = self._healthcheck_of(raw)
        if spec is None:
            raise EngineError(
                f"container {container} has no healthcheck; add one to its image or service"
            )
        return self._probe(raw["Id"], spec)

    def _probe(self, container_id: str, spec: HealthcheckSpec) -> HealthProbe:
        try:
            result = self.exec(container_id, spec.argv(), timeout=spec.timeout)
        except ExecTimeout as exc:
            # Docker counts a probe that times out as failed with exit code -1.
            return HealthProbe(False, -1, f"healthcheck timed out after {spec.timeout:g} s\n{exc.output}")
        return HealthProbe(result.ok, result.exit_code, result.stdout + result.stderr)
