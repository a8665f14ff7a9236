"""Commands run in Docker containers, with a timeout that never hangs the caller.

The Engine API has no way to kill an exec, so the output is read by a daemon thread and, when the
timeout passes, the exec'd process tree is killed through /proc when it is visible from here.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.errors import ContainerNotFound, EngineError, EngineGone, ExecTimeout
from toolkit.runtime.docker.errors import docker_errors
from toolkit.runtime.specs import ExecResult


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


def run_exec(
    api: Any,
    socket: str,
    container: str,
    argv: Sequence[str],
    *,
    user: str | None = None,
    env: Mapping[str, str] | None = None,
    workdir: str | None = None,
    timeout: float | None = None,
) -> ExecResult:
    """Run `argv` in `container` through `api`, as `Runtime.exec` describes.

    `socket` is the daemon's socket path, for the error messages.
    """
    started = time.monotonic()
    with docker_errors(socket, f"running {argv[0] if argv else '?'} in {container}", ContainerNotFound):
        exec_id = api.exec_create(
            container,
            list(argv),
            user=user or "",
            environment=dict(env or {}) or None,
            workdir=workdir,
        )["Id"]
    out: list[bytes] = []
    err: list[bytes] = []
    failures: list[BaseException] = []

    def pump() -> None:
        try:
            for stdout, stderr in _exec_frames(api, exec_id):
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
        killed = _kill_exec(api, socket, exec_id, container)
        reader.join(2.0)  # the stream ends once the process is gone: keep its last output
        output = (b"".join(out) + b"".join(err)).decode(errors="replace")
        fate = "it was killed" if killed else "it may still be running in the container"
        raise ExecTimeout(
            f"{' '.join(argv)!r} in {container} did not finish within {timeout:g} s; {fate}",
            timeout=timeout or 0.0,
            output=output,
        )
    with docker_errors(socket, f"running {argv[0] if argv else '?'} in {container}", ContainerNotFound):
        if failures:
            raise failures[0]
        exit_code = _exit_code(api, exec_id)
    return ExecResult(
        exit_code=exit_code,
        stdout=b"".join(out).decode(errors="replace"),
        stderr=b"".join(err).decode(errors="replace"),
        duration=time.monotonic() - started,
    )


def _exec_frames(api: Any, exec_id: str) -> Iterator[tuple[bytes | None, bytes | None]]:
    """(stdout, stderr) chunks of a started exec, read through http.client's buffer.

    docker-py's own `exec_start(stream=True)` reads the raw socket under that buffer, so a first
    frame that arrives together with the response headers is lost (docker-py issue 3332): under
    load a command's whole output vanished. The stream is Docker's multiplexed format: an 8-byte
    header (stream type, size) per frame.
    """
    response = api._post_json(
        api._url("/exec/{0}/start", exec_id),
        headers={"Connection": "Upgrade", "Upgrade": "tcp"},
        data={"Tty": False, "Detach": False},
        stream=True,
    )
    api._raise_for_status(response)
    buffered = response.raw._fp.fp  # holds whatever was read past the headers
    try:
        while True:
            header = buffered.read(8)
            if len(header) < 8:
                return
            stream, size = struct.unpack(">BxxxL", header)
            payload = buffered.read(size)
            yield (payload, None) if stream == 1 else (None, payload)
    finally:
        response.close()


def _exit_code(api: Any, exec_id: str) -> int:
    # The output stream can close a moment before Docker records the exit code.
    for _ in range(100):
        state = api.exec_inspect(exec_id)
        if not state.get("Running") and state.get("ExitCode") is not None:
            return int(state["ExitCode"])
        time.sleep(0.02)
    raise EngineError(f"Docker never reported the exit code of exec {exec_id[:12]}")


def _kill_exec(api: Any, socket: str, exec_id: str, container: str) -> bool:
    """Kill a timed-out exec; True when it is known to have ended."""
    with contextlib.suppress(EngineError, EngineGone):
        for _ in range(50):  # the process may not have started yet
            with docker_errors(socket, f"inspecting exec in {container}"):
                state = api.exec_inspect(exec_id)
            if state.get("Pid") or not state.get("Running") and state.get("ExitCode") is not None:
                break
            time.sleep(0.05)
        if not state.get("Running"):
            return state.get("ExitCode") is not None
        return _kill_exec_process(int(state["Pid"]), state.get("ContainerID", ""))
    return False
