"""Commands run in Podman containers: the exec session is created and its stream opened here.

`exec_run(demux=True)` from podman-py blocks until the command ends; labkit needs a timeout
that never hangs the caller. What happens to the stream (the timeout, the process tree killed
through /proc, the exit code polled for) is shared with Docker in `runtime/streams.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from podman.api import APIClient

from toolkit.errors import ContainerNotFound
from toolkit.runtime.podman.errors import JSON, body, check, engine_errors
from toolkit.runtime.specs import ExecResult
from toolkit.runtime.streams import collect_exec, frames


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
    started = time.monotonic()
    errors = partial(engine_errors, f"exec in container {container}", not_found=ContainerNotFound)
    with errors():
        config = json.dumps(_exec_config(argv, user, env, workdir))
        exec_id = str(body(api.post(f"/containers/{container}/exec", data=config))["Id"])
        response = check(
            api.post(
                f"/exec/{exec_id}/start",
                data=json.dumps({"Detach": False, "Tty": False}),
                stream=True,
            )
        )
    return collect_exec(
        frames(response.raw.read),
        partial(_inspect, api, exec_id),
        engine="Podman",
        container=container,
        argv=argv,
        timeout=timeout,
        started=started,
        errors=errors,
        close=response.close,
    )


def _exec_config(
    argv: Sequence[str], user: str | None, env: Mapping[str, str] | None, workdir: str | None
) -> JSON:
    config: JSON = {
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
    return config


def _inspect(api: APIClient, exec_id: str) -> Any:
    """The exec session's inspect document (Running, ExitCode, Pid, ContainerID)."""
    return body(api.get(f"/exec/{exec_id}/json"))
