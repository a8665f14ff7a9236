"""Which engine labkit talks to: the flag, then LABKIT_ENGINE, then auto-detection.

Detection asks each candidate socket what it is (`GET /_ping`), so a DOCKER_HOST that points
at Podman's Docker-compatible socket is recognised as Podman. Nothing here imports an engine SDK:
the CLI resolves the engine without paying for those imports.
"""

from __future__ import annotations

import atexit
import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ENGINE_NAMES, EngineName

DOCKER_ROOTFUL = "/var/run/docker.sock"
PODMAN_ROOTFUL = "/run/podman/podman.sock"


@dataclass(frozen=True)
class EngineChoice:
    """An engine that answers, where it answers, and why it was chosen."""

    name: EngineName
    socket: str  # a filesystem path to a unix socket
    source: str  # "--engine", "LABKIT_ENGINE", "DOCKER_HOST", "detected", ...

    @property
    def base_url(self) -> str:
        return f"unix://{self.socket}"


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def identify_socket(path: str, timeout: float = 2.0) -> EngineName | None:
    """Which engine serves this socket, or None when nothing answers there."""
    if not os.path.exists(path):
        return None
    # `/_ping` answers at once on both engines (Podman's `/version` takes ~0.5 s), and Podman
    # marks its answer with Libpod-* headers even on its Docker-compatible API.
    conn = _UnixHTTPConnection(path, timeout)
    try:
        conn.request("GET", "/_ping")
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            return None
        headers = {key.lower() for key in response.headers}
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return "podman" if "libpod-api-version" in headers else "docker"


def _socket_path(url: str) -> str | None:
    for prefix in ("unix://", "unix:"):
        if url.startswith(prefix):
            return url[len(prefix) :]
    return None  # tcp:// and ssh:// hosts are not supported by labkit


# The engine each host variable conventionally names: a variable set for the engine asked
# for is that engine's socket, and no other socket of it is tried in its place.
HOST_VARIABLES: dict[str, EngineName] = {"CONTAINER_HOST": "podman", "DOCKER_HOST": "docker"}


def _explicit_host(
    environ: Mapping[str, str], wanted: EngineName | None, identify: Callable[[str], EngineName | None]
) -> EngineChoice | None:
    """The engine a set CONTAINER_HOST or DOCKER_HOST names, when it decides the choice.

    A variable the user set is a choice: when it names no answering socket, saying so beats
    quietly using another engine. With an engine asked for by name, only that engine's own
    variable counts (a stale CONTAINER_HOST does not stop `--engine docker`).
    """
    for variable, engine in HOST_VARIABLES.items():
        value = environ.get(variable, "")
        if not value or (wanted is not None and wanted != engine):
            continue
        path = _socket_path(value)
        if path is None:
            raise UsageError(
                f"{variable}={value}: labkit reaches engines through unix sockets only; point "
                f"{variable} at one (unix:///path/to/engine.sock) or unset it"
            )
        name = identify(path)
        if name is None:
            raise EngineUnavailable(
                f"{variable} names {path}, where no Docker or Podman answers: start that "
                f"engine, or unset {variable} to let labkit find one"
            )
        if wanted is None or name == wanted:
            return EngineChoice(name, path, variable)
    return None


def candidate_sockets(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(socket path, where it came from), in the order auto-detection tries them."""
    candidates: list[tuple[str, str]] = []
    for variable in ("CONTAINER_HOST", "DOCKER_HOST"):
        path = _socket_path(environ.get(variable, ""))
        if path:
            candidates.append((path, variable))
    runtime_dir = environ.get("XDG_RUNTIME_DIR", "")
    candidates.append((DOCKER_ROOTFUL, "detected"))
    candidates.append((PODMAN_ROOTFUL, "detected"))
    if runtime_dir:
        candidates.append((f"{runtime_dir}/podman/podman.sock", "detected"))
        candidates.append((f"{runtime_dir}/docker.sock", "detected"))
    return candidates


def _answering(
    environ: Mapping[str, str], identify: Callable[[str], EngineName | None]
) -> Iterator[EngineChoice]:
    """Engines that answer, lazily, in detection order: callers stop at the one they need."""
    seen: set[str] = set()
    for path, source in candidate_sockets(environ):
        if path in seen:
            continue
        seen.add(path)
        name = identify(path)
        if name is not None:
            yield EngineChoice(name, path, source)


def available_engines(
    environ: Mapping[str, str] | None = None,
    identify: Callable[[str], EngineName | None] = identify_socket,
) -> list[EngineChoice]:
    """Every engine that answers, at most one socket each, in detection order."""
    environ = os.environ if environ is None else environ
    found: dict[str, EngineChoice] = {}
    for choice in _answering(environ, identify):
        found.setdefault(choice.name, choice)
    return list(found.values())


def parse_engine_name(value: str, where: str) -> EngineName:
    lowered = value.strip().lower()
    for name in ENGINE_NAMES:
        if lowered == name:
            return name
    raise UsageError(f"unknown engine {value!r} in {where}: choose one of {', '.join(ENGINE_NAMES)}")


def resolve_engine(
    flag: str | None = None,
    environ: Mapping[str, str] | None = None,
    identify: Callable[[str], EngineName | None] = identify_socket,
    start_podman: Callable[[], str | None] | None = None,
) -> EngineChoice:
    """Choose the engine: `flag`, then LABKIT_ENGINE, then CONTAINER_HOST or DOCKER_HOST when
    set, then the first engine that answers.

    When Podman is asked for by name and no API service answers, `start_podman` (by default a
    transient service for this process) is tried before giving up.
    """
    environ = os.environ if environ is None else environ
    wanted: EngineName | None = None
    source = "detected"
    if flag:
        wanted, source = parse_engine_name(flag, "--engine"), "--engine"
    elif environ.get("LABKIT_ENGINE"):
        wanted, source = parse_engine_name(environ["LABKIT_ENGINE"], "LABKIT_ENGINE"), "LABKIT_ENGINE"

    explicit = _explicit_host(environ, wanted, identify)
    if explicit is not None:
        return explicit if wanted is None else EngineChoice(explicit.name, explicit.socket, source)
    for engine in _answering(environ, identify):
        if wanted is None:
            return engine
        if engine.name == wanted:
            return EngineChoice(engine.name, engine.socket, source)
    if wanted in (None, "podman"):
        starter = start_podman if start_podman is not None else start_transient_podman
        path = starter()
        if path:
            return EngineChoice("podman", path, f"{source}, transient podman service")
    what = wanted or "Docker or Podman"
    raise EngineUnavailable(
        f"no {what} engine answers (tried {', '.join(p for p, _ in candidate_sockets(environ))}): "
        "start it (scripts/provision-engines does) or run 'labkit doctor'"
    )


_transient: dict[str, subprocess.Popen[bytes]] = {}


def start_transient_podman(timeout: float = 20.0) -> str | None:
    """Start `podman system service` on a private socket for this process; None without podman.

    The service ends when this process exits.
    """
    if "podman" in _transient:
        return _transient_socket(_transient["podman"])
    binary = shutil.which("podman")
    if binary is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="labkit-podman-"))
    path = str(folder / "podman.sock")
    process = subprocess.Popen(
        [binary, "system", "service", "--time=0", f"unix://{path}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if identify_socket(path) == "podman":
            _transient["podman"] = process
            atexit.register(_stop_transient, process, folder)
            return path
        if process.poll() is not None:
            break
        time.sleep(0.1)
    _stop_transient(process, folder)
    return None


def _transient_socket(process: subprocess.Popen[bytes]) -> str:
    return str(process.args[-1]).removeprefix("unix://")  # type: ignore[index]


def _stop_transient(process: subprocess.Popen[bytes], folder: Path) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
    shutil.rmtree(folder, ignore_errors=True)


def transient_service_running() -> bool:
    return "podman" in _transient


def stop_transient_podman() -> None:
    """End the transient Podman service now instead of at exit (no-op when none runs)."""
    process = _transient.pop("podman", None)
    if process is not None:
        _stop_transient(process, Path(_transient_socket(process)).parent)


def connect(choice: EngineChoice) -> Runtime:
    """Open the adapter for a chosen engine."""
    if choice.name == "docker":
        from toolkit.runtime.docker.adapter import DockerRuntime

        return DockerRuntime(choice.socket)
    from toolkit.runtime.podman.adapter import PodmanRuntime

    return PodmanRuntime(choice.socket)
