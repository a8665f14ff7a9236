"""The exec and log plumbing both adapters share (toolkit/runtime/streams.py), without an engine."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from toolkit.errors import EngineError, ExecTimeout
from toolkit.runtime.streams import (
    STDERR,
    STDOUT,
    collect_exec,
    descendants,
    frames,
    kill_process_tree,
    lines,
    wait_for_exit_code,
)


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


class Trickle:
    """A stream that hands out at most `step` bytes a read, as a socket under load does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data = io.BytesIO(data)
        self.step = step

    def read(self, size: int) -> bytes:
        return self.data.read(min(size, self.step))


def test_frames_split_across_reads_are_put_back_together() -> None:
    data = frame(STDOUT, b"hello ") + frame(STDERR, b"oops\n") + frame(STDOUT, b"world\n")
    for step in (1, 3, 7, 1000):
        assert list(frames(Trickle(data, step).read)) == [
            (STDOUT, b"hello "),
            (STDERR, b"oops\n"),
            (STDOUT, b"world\n"),
        ]


def test_a_first_frame_read_together_with_the_headers_is_kept() -> None:
    # The HTTP layer read the headers and the first frame in one go; its buffer holds the frame.
    raw = b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
    buffered = io.BufferedReader(io.BytesIO(raw + frame(STDOUT, b"first\n") + frame(STDOUT, b"next\n")))
    while buffered.readline() not in (b"\r\n", b""):
        pass  # what http.client does with the headers
    assert list(frames(buffered.read)) == [(STDOUT, b"first\n"), (STDOUT, b"next\n")]


def test_an_empty_frame_and_a_truncated_stream_end_cleanly() -> None:
    data = frame(STDOUT, b"") + frame(STDERR, b"x") + frame(STDOUT, b"cut short")[:-3]
    assert list(frames(io.BytesIO(data).read)) == [(STDOUT, b""), (STDERR, b"x"), (STDOUT, b"cut sh")]
    assert list(frames(io.BytesIO(b"\x01\x00").read)) == []


def test_lines_join_partial_lines_and_drop_line_ends() -> None:
    chunks = [b"one\r\ntw", b"o\n", b"", b"thr", b"ee\n\nfour"]
    assert list(lines(chunks)) == ["one", "two", "three", "", "four"]
    assert list(lines([b"caf\xc3", b"\xa9\n"])) == ["café"]  # a character cut in two


def _state(**fields: Any) -> Iterator[dict[str, Any]]:
    while True:
        yield dict(fields)


def _collect(source: list[tuple[int, bytes]], exit_code: int = 0, timeout: float | None = 5.0) -> Any:
    states = _state(Running=False, ExitCode=exit_code, Pid=0, ContainerID="")
    closed: list[bool] = []
    result = collect_exec(
        source,
        lambda: next(states),
        engine="Docker",
        container="web-1",
        argv=["sh", "-c", "x"],
        timeout=timeout,
        started=0.0,
        errors=nullcontext,
        close=lambda: closed.append(True),
    )
    assert closed == [True]
    return result


def test_interleaved_stdout_and_stderr_are_kept_apart_in_order() -> None:
    source = [(STDOUT, b"a1 "), (STDERR, b"e1 "), (STDOUT, b"a2"), (STDERR, b"e2"), (STDOUT, b"\n")]
    result = _collect(source, exit_code=3)
    assert (result.stdout, result.stderr, result.exit_code) == ("a1 a2\n", "e1 e2", 3)


def test_an_error_while_reading_reaches_the_caller_through_the_translator() -> None:
    def broken() -> Iterator[tuple[int, bytes]]:
        yield STDOUT, b"partial"
        raise ConnectionError("engine went away")

    @contextlib.contextmanager
    def errors() -> Iterator[None]:  # the adapter's translator
        try:
            yield
        except ConnectionError as exc:
            raise EngineError(f"translated: {exc}") from exc

    with pytest.raises(EngineError, match="translated: engine went away"):
        collect_exec(
            broken(),
            lambda: {"Running": False, "ExitCode": 0},
            engine="Podman",
            container="web-1",
            argv=["true"],
            timeout=5.0,
            started=0.0,
            errors=errors,
            close=lambda: None,
        )


def test_a_timeout_raises_with_the_output_so_far_and_never_hangs() -> None:
    release = threading.Event()

    def stuck() -> Iterator[tuple[int, bytes]]:
        yield STDOUT, b"started\n"
        yield STDERR, b"warming up\n"
        release.wait(30)

    with pytest.raises(ExecTimeout) as caught:
        collect_exec(
            stuck(),
            # Asked after the timeout, the engine says the command ended: "killed" is then true.
            lambda: release.set() or {"Running": False, "ExitCode": 137, "Pid": 0},
            engine="Docker",
            container="web-1",
            argv=["sleep", "100"],
            timeout=0.2,
            started=0.0,
            errors=nullcontext,
            close=release.set,
        )
    assert caught.value.output == "started\nwarming up\n"
    assert "'sleep 100' in web-1 did not finish within 0.2 s; it was killed" in str(caught.value)


def test_the_exit_code_is_waited_for_and_a_missing_one_is_an_error() -> None:
    answers = iter(
        [{"Running": True}, {"Running": False, "ExitCode": None}, {"Running": False, "ExitCode": 4}]
    )
    assert wait_for_exit_code(lambda: next(answers), "never") == 4
    with pytest.raises(EngineError, match="Podman never reported"):
        wait_for_exit_code(lambda: {"Running": True}, "Podman never reported the exit code", polls=3)


def test_descendants_follow_parent_pids_through_proc(tmp_path: Path) -> None:
    # pid 10 -> 11 -> 13, 10 -> 12; 20 is unrelated; the command name may hold ") ".
    for pid, parent in {10: 1, 11: 10, 12: 10, 13: 11, 20: 1}.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (odd) name) S {parent} 0 0\n")
    (tmp_path / "self").mkdir()
    assert sorted(descendants(10, tmp_path)) == [11, 12, 13]
    assert descendants(13, tmp_path) == []


def test_a_process_outside_the_container_is_never_killed() -> None:
    assert not kill_process_tree(os.getpid(), "0123456789abcdef" * 4)  # not in that cgroup
    assert not kill_process_tree(0, "anything")
