"""Image builds on Docker's classic builder: a BuildSpec in, BuildOutput events and BuildFailed out.

The build endpoint streams JSON chunks; this module splits them into lines and hands them to a
`BuildLog`, which knows the step (`Step n/m : X`) and the log's tail, so a failure says where
it happened.
"""

from __future__ import annotations

import re
from typing import Any

import docker.errors

from toolkit.errors import BuildFailed
from toolkit.runtime.build_output import BuildLog
from toolkit.runtime.docker.errors import engine_errors
from toolkit.runtime.protocol import ProgressCallback
from toolkit.runtime.specs import BuildSpec

_HEADING = re.compile(r"^Step (\d+/\d+) : (.*)$")


def containerfile(spec: BuildSpec) -> str:
    """The build call's `dockerfile` argument for a BuildSpec."""
    if spec.containerfile is None:
        # The classic builder only looks for `Dockerfile` by itself.
        found = spec.context / "Containerfile"
        return "Containerfile" if found.exists() else "Dockerfile"
    path = spec.containerfile
    if path.is_absolute() and path.is_relative_to(spec.context):
        path = path.relative_to(spec.context)
    return str(path)  # absolute outside the context: docker-py adds it to the context


def run_build(api: Any, socket: str, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> str:
    """Build `spec` tagged with its first tag; the new image's id ("" when Docker did not say).

    `socket` is the daemon's socket path, for the error messages. Raises BuildFailed.
    """
    log = BuildLog(_HEADING, on_progress)
    error, image_id, pending = "", "", ""
    with engine_errors(f"building {spec.tags[0]}", socket=socket):
        try:
            for chunk in api.build(
                path=str(spec.context),
                dockerfile=containerfile(spec),
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
                    log.line(line.rstrip("\r"))
                if chunk.get("status"):
                    log.line(f"{chunk['status']} {chunk.get('progress', '')}".rstrip())
                if "error" in chunk:
                    error = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
                image_id = (chunk.get("aux") or {}).get("ID", image_id)
        except docker.errors.APIError as exc:  # refused before any step ran (bad Containerfile path)
            error = str(exc.explanation or exc)
        if pending:
            log.line(pending)
        if error:
            log.tail.append(error)
            at = f" at {log.step_line!r}" if log.step_line else ""
            raise BuildFailed(
                f"building {spec.tags[0]} failed{at}: {error}; fix the Containerfile and rebuild",
                step=log.step,
                log_tail=list(log.tail),
            )
    return image_id
