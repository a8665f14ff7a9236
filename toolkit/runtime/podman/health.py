"""Health probes on Podman, run on demand: without systemd Podman never runs them itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import requests
from podman.api import APIClient

from toolkit.errors import ContainerNotFound, EngineError, EngineGone
from toolkit.runtime.podman import containers
from toolkit.runtime.podman.errors import JSON, check, engine_errors
from toolkit.runtime.specs import HealthProbe


def run_probe(api: APIClient, container: str, inspect: Callable[[str], JSON]) -> HealthProbe:
    """Run the container's healthcheck once, now, as Docker would; its outcome as Docker says it.

    `inspect` reads the container's inspect document (the adapter's, which retries a racing 500).
    """
    check_spec = containers.container_healthcheck(inspect(container))
    if check_spec is None:
        raise EngineError(f"container {container} has no healthcheck; add one to its image or service")
    what = f"healthcheck of container {container}"
    started = datetime.now(UTC)
    try:
        with engine_errors(what, not_found=ContainerNotFound):
            # libpod runs one probe and stores its result; the response omits the output.
            # Podman 4.3 lets a slow probe run to its end (then records it as timed out);
            # labkit stops waiting shortly after the probe's timeout, as Docker does.
            check(api.get(f"/containers/{container}/healthcheck", timeout=check_spec.timeout + 2))
    except EngineGone as exc:
        if not _timed_out(exc):
            raise
        # Docker counts a probe that times out as failed with exit code -1.
        return HealthProbe(False, -1, f"healthcheck timed out after {check_spec.timeout:g} s")
    except EngineError:
        # A probe past its timeout is a 500, yet Podman has recorded it as failed: use that.
        probe = containers.last_probe(inspect(container), since=started)
        if probe is None:
            raise
        return probe
    probe = containers.last_probe(inspect(container), since=started)
    if probe is None:
        raise EngineError(f"{what}: podman ran the probe but recorded no result")
    return probe


def _timed_out(exc: BaseException) -> bool:
    """Whether a read timeout of ours, not a lost engine, is behind this error."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, requests.exceptions.Timeout):
            return True
        cause = cause.__cause__
    return False
