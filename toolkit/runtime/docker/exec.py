"""Commands run in Docker containers: the exec is created and its stream opened here.

What happens to the stream next (a timeout that never hangs the caller, the process tree
killed through /proc, the exit code polled for) is shared with Podman in `runtime/streams.py`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from toolkit.errors import ContainerNotFound
from toolkit.runtime.docker.errors import engine_errors
from toolkit.runtime.specs import ExecResult
from toolkit.runtime.streams import collect_exec, frames


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
    errors = partial(
        engine_errors,
        f"running {argv[0] if argv else '?'} in {container}",
        socket=socket,
        not_found=ContainerNotFound,
    )
    with errors():
        exec_id = api.exec_create(
            container,
            list(argv),
            user=user or "",
            environment=dict(env or {}) or None,
            workdir=workdir,
        )["Id"]
        response = _start(api, exec_id)
    return collect_exec(
        # docker-py's own `exec_start(stream=True)` reads the raw socket under http.client's
        # buffer, so a first frame that arrives together with the response headers is lost
        # (docker-py issue 3332): under load a command's whole output vanished. The buffer
        # itself holds whatever was read past the headers.
        frames(response.raw._fp.fp.read),
        partial(api.exec_inspect, exec_id),
        engine="Docker",
        container=container,
        argv=argv,
        timeout=timeout,
        started=started,
        errors=errors,
        close=response.close,
    )


def _start(api: Any, exec_id: str) -> Any:
    """Start the exec; its streamed response (docker-py has no public call that keeps it)."""
    response = api._post_json(
        api._url("/exec/{0}/start", exec_id),
        headers={"Connection": "Upgrade", "Upgrade": "tcp"},
        data={"Tty": False, "Detach": False},
        stream=True,
    )
    api._raise_for_status(response)
    return response
