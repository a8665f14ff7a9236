"""Exec and log plumbing both adapters share: multiplexed streams, timeouts, killing, lines.

Docker's Engine API and Podman's libpod API speak alike here: a command's or a container's
output comes as frames (an 8-byte header: stream type, three zero bytes, payload size), an exec
cannot be stopped through the API, and its exit code is read from the exec's inspect document
(`Running`, `ExitCode`, `Pid`, `ContainerID`) a moment after the stream closes. Each adapter
opens the stream its own way and hands it here; what happens next is the same on both engines.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from toolkit.errors import EngineError, EngineUnavailable, ExecTimeout
from toolkit.runtime.specs import ExecResult

STDOUT, STDERR = 1, 2
_HEADER = struct.Struct(">BxxxL")
_EXIT_CODE_POLLS = 100  # x 20 ms: the stream can close a moment before the exit code is recorded
_PID_POLLS = 50  # x 50 ms: a timed-out exec may not have started its process yet
_LAST_OUTPUT_WAIT = 2.0  # the stream ends once the process is killed: keep its last output

# An exec's inspect document, as both engines answer GET /exec/{id}/json.
ExecState = Mapping[str, Any]
Read = Callable[[int], bytes]


def _read_exactly(read: Read, size: int) -> bytes:
    """`size` bytes from `read`, fewer only at the end of the stream (a frame may be split)."""
    data = b""
    while len(data) < size:
        block = read(size - len(data))
        if not block:
            break
        data += block
    return data


def frames(read: Read) -> Iterator[tuple[int, bytes]]:
    """(stream, payload) for each frame of a multiplexed stdout/stderr stream.

    `read` must read from the buffer the HTTP response's headers were read through, so that a
    first frame which arrived together with the headers is not skipped.
    """
    while True:
        header = _read_exactly(read, _HEADER.size)
        if len(header) < _HEADER.size:
            return
        stream, size = _HEADER.unpack(header)
        yield stream, _read_exactly(read, size) if size else b""


def lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text lines of a byte stream cut anywhere, without their line ends (\\n or \\r\\n)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode(errors="replace").rstrip("\r")
    if pending:
        yield pending.decode(errors="replace")


class _Collector(threading.Thread):
    """Reads an exec's frames to their end, keeping stdout and stderr apart.

    A daemon thread, not an executor: a command that cannot be killed must not keep the
    interpreter from exiting.
    """

    def __init__(self, source: Iterable[tuple[int, bytes]]) -> None:
        super().__init__(name="labkit-exec", daemon=True)
        self.source = source
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for stream, payload in self.source:
                (self.stderr if stream == STDERR else self.stdout).extend(payload)
        except BaseException as exc:  # handed to the caller's thread
            self.error = exc


def collect_exec(
    source: Iterable[tuple[int, bytes]],
    inspect: Callable[[], ExecState],
    *,
    engine: str,
    container: str,
    argv: Sequence[str],
    timeout: float | None,
    started: float,
    errors: Callable[[], AbstractContextManager[None]],
    close: Callable[[], None],
) -> ExecResult:
    """Read a started exec's output to its end and return its result.

    Args:
        source: the exec's (stream, payload) frames.
        inspect: reads the exec's inspect document (inside `errors`).
        engine: "Docker" or "Podman", for the messages.
        timeout: seconds to wait; past them the process tree is killed and ExecTimeout raised.
        started: `time.monotonic()` before the exec was created, for the duration.
        errors: the adapter's error translator, bound to this exec.
        close: closes the response the frames come from.
    """
    collector = _Collector(source)
    collector.start()
    collector.join(timeout)
    if collector.is_alive():
        killed = kill_exec(inspect, errors)
        collector.join(_LAST_OUTPUT_WAIT)
        close()
        fate = "it was killed" if killed else "it may still be running in the container"
        raise ExecTimeout(
            f"{' '.join(argv)!r} in {container} did not finish within {timeout:g} s; {fate}",
            timeout=timeout or 0.0,
            output=(collector.stdout + collector.stderr).decode(errors="replace"),
        )
    close()
    with errors():
        if collector.error is not None:
            raise collector.error
        exit_code = wait_for_exit_code(inspect, f"{engine} never reported the exit code of {argv[0]!r}")
    return ExecResult(
        exit_code=exit_code,
        stdout=collector.stdout.decode(errors="replace"),
        stderr=collector.stderr.decode(errors="replace"),
        duration=time.monotonic() - started,
    )


def wait_for_exit_code(inspect: Callable[[], ExecState], never: str, *, polls: int = _EXIT_CODE_POLLS) -> int:
    """The exec's exit code, polled for until the engine records it; EngineError(`never`) if not."""
    for _ in range(polls):
        state = inspect()
        if not state.get("Running") and state.get("ExitCode") is not None:
            return int(state["ExitCode"])
        time.sleep(0.02)
    raise EngineError(never)


def kill_exec(inspect: Callable[[], ExecState], errors: Callable[[], AbstractContextManager[None]]) -> bool:
    """Kill a timed-out exec's process tree; True when it is known to have ended.

    Neither engine's API can stop an exec. Its Pid is a host pid, so when this process shares
    the engine's PID namespace (a local socket) the tree is killed directly; best effort, the
    caller raises ExecTimeout either way.
    """
    state: ExecState = {}
    with contextlib.suppress(EngineError, EngineUnavailable):
        for _ in range(_PID_POLLS):
            with errors():
                state = inspect()
            if state.get("Pid") or not state.get("Running") and state.get("ExitCode") is not None:
                break
            time.sleep(0.05)
        if not state.get("Running"):
            return state.get("ExitCode") is not None
        return kill_process_tree(int(state.get("Pid") or 0), str(state.get("ContainerID") or ""))
    return False


def kill_process_tree(pid: int, container_id: str) -> bool:
    """SIGKILL `pid` and every process below it; False when it is not visible from here.

    The cgroup check makes sure the pid still belongs to the container and was not reused.
    """
    try:
        if pid <= 0 or not container_id or container_id not in Path(f"/proc/{pid}/cgroup").read_text():
            return False
    except OSError:
        return False
    for victim in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            os.kill(victim, signal.SIGKILL)
    return True


def descendants(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Every process below `pid`, found through /proc (the exec'd command may fork)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces and ")": the parent pid follows the last ")".
        parent = int(stat.rpartition(")")[2].split()[1])
        children[parent].append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found
