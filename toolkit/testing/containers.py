"""The testcontainers bridge: `DockerContainer` on Docker or on Podman, labelled, waited for
by labkit's one polling loop.

testcontainers speaks Docker's API only; Podman serves that API on its socket too, so a
container is pointed at whichever engine the test runs on through its client's DOCKER_HOST
(given to that client alone: the process environment is left as it is). Two settings make
testcontainers work on these hosts (see ENGINES.md): no Ryuk (its image cannot be pulled;
labkit's run label and gc do its job), and the host address taken as "localhost" (these
machines have /.dockerenv, which makes testcontainers guess a gateway and fail on Podman).

Wait strategies (a log line, a command that succeeds, a listening port) are small probes fed
to `toolkit.stack.health.poll`, the one polling loop.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, Protocol

from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.waiting_utils import WaitStrategy, WaitStrategyTarget

from toolkit.errors import ContainerNotFound, EngineError, StackError
from toolkit.runtime.docker import engine_errors
from toolkit.runtime.select import EngineChoice
from toolkit.stack.health import GaveUp, NotReady, WaitTimedOut, poll

DEFAULT_WAIT = 60.0
POLL_CAP = 0.5  # probes are cheap (an exec, a log read): a short cap keeps waits short
LOG_TAIL = 20


def configure_testcontainers() -> None:
    """Apply the settings testcontainers needs here to its configuration object.

    testcontainers reads its environment variables once, at import; setting the parsed
    configuration works whether or not it was imported before.
    """
    testcontainers_config.ryuk_disabled = True
    testcontainers_config.tc_host_override = "localhost"
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host


class _RemovalInProgress(EngineError):
    """A 409 on removal: the engine is removing the container already (a sweep got there)."""


class LabContainer(DockerContainer):
    """A testcontainers `DockerContainer` on a chosen engine, carrying labkit's labels.

    Removal kills the container first: Podman otherwise waits the whole stop timeout for a
    PID 1 that ignores SIGTERM (`sleep`), and a test container holds nothing worth a clean stop.
    """

    def __init__(
        self,
        image: str,
        *,
        engine: EngineChoice,
        labels: Mapping[str, str],
        command: str | Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        ports: Sequence[int | str] = (),
        name: str | None = None,
        wait: WaitStrategy | None = None,
        **kwargs: Any,
    ) -> None:
        configure_testcontainers()
        super().__init__(
            image,
            docker_client_kw={"environment": {"DOCKER_HOST": engine.base_url}},
            env=dict(env or {}),
            name=name,
            labels=dict(labels),
            **kwargs,
        )
        self.engine = engine
        if command is not None:
            self.with_command(command if isinstance(command, str) else list(command))
        if ports:
            self.with_exposed_ports(*ports)
        if wait is not None:
            self.waiting_for(wait)

    @property
    def id(self) -> str:
        return self.get_container_id()

    def run(self, cmd: str | Sequence[str]) -> tuple[int, str]:
        """Run a command in the container: a string through /bin/sh -c, a list as argv.

        Returns the exit code and stdout and stderr as text.
        """
        result = self.exec(["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd))
        return int(result.exit_code or 0), result.output.decode(errors="replace")

    def logs(self) -> str:
        """Everything the container wrote so far, stdout then stderr."""
        stdout, stderr = self.get_logs()
        return (stdout + stderr).decode(errors="replace")

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        """Kill and remove the container; one already gone (a sweep got there) is fine."""
        if self._container is not None:
            name = self._container.name
            with suppress(EngineError):  # not running, or gone
                with engine_errors(f"killing container {name}", socket=self.engine.socket):
                    self._container.kill()
            with suppress(ContainerNotFound, _RemovalInProgress):
                with engine_errors(
                    f"removing container {name}",
                    socket=self.engine.socket,
                    not_found=ContainerNotFound,
                    conflict=_RemovalInProgress,
                ):
                    self._container.remove(force=True, v=delete_volume)
            self._container = None
        self.get_docker_client().client.close()


# ---------------------------------------------------------------- wait strategies


class LabWait(WaitStrategy):
    """A wait strategy driven by labkit's polling loop: subclasses write `probe` only.

    `probe` returns when the container is ready and raises NotReady (with what it saw)
    otherwise. A container that exits while waited for ends the wait at once.
    """

    description = "ready"

    def __init__(self, timeout: float = DEFAULT_WAIT) -> None:
        super().__init__()
        self._startup_timeout = timeout
        self._poll_interval = POLL_CAP

    def probe(self, container: Any) -> None:  # docker.models.containers.Container
        raise NotImplementedError

    def wait_until_ready(self, container: WaitStrategyTarget) -> None:
        wrapped = container.get_wrapped_container()
        engine: EngineChoice | None = getattr(container, "engine", None)
        socket = engine.socket if engine is not None else ""

        def exited() -> None:
            try:
                with engine_errors(
                    f"inspecting container {wrapped.name}", socket=socket, not_found=ContainerNotFound
                ):
                    wrapped.reload()
            except ContainerNotFound:
                raise GaveUp("the container was removed") from None
            except EngineError as exc:
                # Podman answers 500 to an inspect that races the container's exit ("read
                # /proc/N/cgroup: no such process"): the next look sees it exited.
                raise NotReady(f"inspect failed: {exc}") from exc
            if wrapped.status in ("exited", "dead"):
                code = wrapped.attrs.get("State", {}).get("ExitCode")
                raise GaveUp(f"the container exited with code {code}", exit_code=code)

        def attempt() -> None:
            exited()
            try:
                with engine_errors(f"probing container {wrapped.name}", socket=socket):
                    self.probe(wrapped)
            except EngineError as exc:
                exited()  # it stopped between the look and the probe: say so
                raise NotReady(str(exc)) from exc

        interval = self._poll_interval
        try:
            poll(attempt, deadline=time.monotonic() + self._startup_timeout, max_delay=lambda: interval)
        except (WaitTimedOut, GaveUp) as exc:
            if isinstance(exc, WaitTimedOut):
                why = f"not {self.description} after {self._startup_timeout:g}s ({exc.attempts} probes)"
            else:
                why = f"never {self.description}: {exc.reason}"
            tail = _log_tail(wrapped)
            raise StackError(
                f"container {wrapped.name} {why}; last probe: {exc.output.strip() or '(no output)'}"
                + (f"; last log lines: {' | '.join(tail)}" if tail else ""),
                service=wrapped.name,
                probe_output=exc.output,
                log_tail=tail,
            ) from None


def _log_tail(wrapped: Any) -> tuple[str, ...]:
    try:
        with engine_errors(f"reading logs of {wrapped.name}"):
            text = wrapped.logs(tail=LOG_TAIL).decode(errors="replace")
    except EngineError:
        return ()
    return tuple(text.splitlines()[-LOG_TAIL:])


class LogLine(LabWait):
    """Ready once the logs (stdout and stderr) match `pattern` `times` times."""

    def __init__(self, pattern: str | re.Pattern[str], *, times: int = 1, timeout: float = DEFAULT_WAIT):
        super().__init__(timeout)
        self.pattern = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        self.times = times
        self.description = f"logging /{self.pattern.pattern}/"

    def probe(self, container: Any) -> None:
        text = container.logs(stdout=True, stderr=True).decode(errors="replace")
        seen = len(self.pattern.findall(text))
        if seen < self.times:
            raise NotReady(f"{seen} of {self.times} matching lines; log ends: {text[-200:]!r}")


class ExecReady(LabWait):
    """Ready once `argv` run in the container exits 0."""

    def __init__(self, argv: str | Sequence[str], *, timeout: float = DEFAULT_WAIT):
        super().__init__(timeout)
        self.argv = ["/bin/sh", "-c", argv] if isinstance(argv, str) else list(argv)
        self.description = f"ready by {' '.join(self.argv)!r}"

    def probe(self, container: Any) -> None:
        code, output = container.exec_run(self.argv)
        if code != 0:
            text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
            raise NotReady(f"exit code {code}: {text.strip()[-200:]}")


def listening_ports(proc_net: str) -> set[int]:
    """TCP ports in LISTEN state, from the text of /proc/net/tcp and /proc/net/tcp6."""
    ports: set[int] = set()
    for line in proc_net.splitlines():
        fields = line.split()
        # sl local_address rem_address st ...; state 0A is LISTEN
        if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class PortOpen(LabWait):
    """Ready once something listens on TCP `port` inside the container.

    Looked up in the container's /proc/net (needs `cat` in the image) rather than by
    connecting from the host: Docker's userland proxy accepts connections on a published
    port before anything listens behind it.
    """

    def __init__(self, port: int, *, timeout: float = DEFAULT_WAIT):
        super().__init__(timeout)
        self.port = port
        self.description = f"listening on port {port}"

    def probe(self, container: Any) -> None:
        code, output = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"])
        text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
        if self.port not in listening_ports(text):
            raise NotReady(f"nothing listens on port {self.port} yet")


class ContainerFactory(Protocol):
    """What the lab_container fixture hands a test (for type hints in test files)."""

    def __call__(
        self,
        image: str,
        *,
        command: str | Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        ports: Sequence[int | str] = (),
        name: str | None = None,
        wait: WaitStrategy | None = None,
        **kwargs: Any,
    ) -> LabContainer: ...
