"""Commands run in Podman containers, and their logs: libpod's multiplexed streams, read safely.

`exec_run(demux=True)` from podman-py blocks until the command ends. labkit needs a timeout
that never hangs the caller, so the stream is read by a daemon thread and the command's
processes are killed when the timeout passes.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from podman.api import APIClient

from toolkit.errors import ContainerNotFound, ExecTimeout
from toolkit.runtime.podman.errors import body, check, engine_errors
from toolkit.runtime.specs import ExecResult

_HEADER = struct.Struct(">BxxxL")
STDOUT, STDERR = 1, 2


def frames(response: Any) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) for each frame of a multiplexed stdout/stderr stream."""
    raw = response.raw
    while True:
        header = raw.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        stream, length = _HEADER.unpack(header)
        payload = raw.read(length) if length else b""
        yield stream, payload


class _Collector(threading.Thread):
    """Reads an exec stream to its end, keeping stdout and stderr apart."""

    def __init__(self, response: Any) -> None:
        super().__init__(daemon=True)  # a stuck stream must never keep the process alive
        self.response = response
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for stream, payload in frames(self.response):
                (self.stderr if stream == STDERR else self.stdout).extend(payload)
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc


def run_exec(
    api: APIClient,
    container: str,
    argv: Sequence[str],
    *,
    user: str | None,
    env: Mapping[str, str] | None,
    workdir: str | None,
    timeout: float | None,
) -> ExecResult:
    """Run argv in a running container; raise ExecTimeout once timeout seconds have passed."""
    config: dict[str, Any] = {
        "Cmd": list(argv),
        "AttachStdout": True,
        "AttachStderr": True,
        "AttachStdin": False,
        "Tty": False,
    }
    if user:
        config["User"] = user
    if env:
        config["Env"] = [f"{key}={value}" for key, value in env.items()]
    if workdir:
        config["WorkingDir"] = workdir
    what = f"exec in container {container}"
    started = time.monotonic()
    with engine_errors(what, not_found=ContainerNotFound):
        exec_id = str(body(api.post(f"/containers/{container}/exec", data=json.dumps(config)))["Id"])
        response = check(
            api.post(
                f"/exec/{exec_id}/start",
                data=json.dumps({"Detach": False, "Tty": False}),
                stream=True,
            )
        )
    collector = _Collector(response)
    collector.start()
    collector.join(timeout)
    if collector.is_alive():
        _kill_exec(api, container, exec_id)
        collector.join(2.0)  # the stream ends once the process is gone: keep its last output
        response.close()
        output = (collector.stdout + collector.stderr).decode(errors="replace")
        raise ExecTimeout(
            f"{' '.join(argv)} in container {container} did not finish within {timeout:g} s",
            timeout=timeout or 0.0,
            output=output,
        )
    with engine_errors(what, not_found=ContainerNotFound):
        if collector.error is not None:
            raise collector.error
        exit_code = _exit_code(api, exec_id)
    return ExecResult(
        exit_code=exit_code,
        stdout=collector.stdout.decode(errors="replace"),
        stderr=collector.stderr.decode(errors="replace"),
        duration=time.monotonic() - started,
    )


def _exit_code(api: APIClient, exec_id: str) -> int:
    """The exec session's exit code, once Podman has recorded it after the stream closed."""
    session: dict[str, Any] = {}
    for _ in range(100):
        session = body(api.get(f"/exec/{exec_id}/json"))
        if not session.get("Running") and session.get("ExitCode") is not None:
            break
        time.sleep(0.02)
    code = session.get("ExitCode")
    return int(code) if code is not None else -1


def _kill_exec(api: APIClient, container: str, exec_id: str) -> None:
    """Kill a timed-out command and its children, when Podman runs on this host.

    libpod has no call to stop an exec session. Its process id is a host pid; it is killed only
    after checking that the process sits in this container's cgroup.
    """
    try:
        with engine_errors(f"exec in container {container}"):
            session = body(api.get(f"/exec/{exec_id}/json"))
            container_id = str(body(api.get(f"/containers/{container}/json")).get("Id", ""))
        pid = int(session.get("Pid") or 0)
    except Exception:
        return  # best effort: the caller gets its ExecTimeout either way
    if pid <= 0 or not container_id or not _in_container(pid, container_id):
        return
    for victim in [*_descendants(pid), pid]:
        try:
            os.kill(victim, signal.SIGKILL)
        except OSError:
            continue


def _in_container(pid: int, container_id: str) -> bool:
    try:
        return container_id in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(children.get(child, []))
    return found


def log_lines(response: Any) -> Iterator[str]:
    """Lines of a container's multiplexed log stream, without their line ends."""
    pending = b""
    for _stream, payload in frames(response):
        pending += payload
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace").rstrip("\r")
    if pending:
        yield pending.decode(errors="replace")
