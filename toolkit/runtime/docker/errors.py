"""The one place where docker-py's and requests' errors become labkit's.

Every engine call the Docker adapter makes runs inside `engine_errors`, which maps exception types
and HTTP status codes (never message text) to `toolkit.errors`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import docker.errors
import requests

from toolkit.errors import (
    ContainerNotFound,
    EngineError,
    EngineGone,
    ImageNotFound,
    NameConflict,
    NetworkNotFound,
    NotFound,
    VolumeNotFound,
)

_HINTS: dict[type[NotFound], str] = {
    ImageNotFound: "build, load or import it first",
    ContainerNotFound: "check the name; it may have been removed",
    NetworkNotFound: "check the name; it may have been removed",
    VolumeNotFound: "check the name; it may have been removed",
    NotFound: "check the names in the request",
}


@contextlib.contextmanager
def engine_errors(
    action: str,
    *,
    socket: str = "",
    not_found: type[NotFound] = NotFound,
    conflict: type[EngineError] = EngineError,
) -> Iterator[None]:
    """Turn docker-py's and requests' exceptions into toolkit errors, by type and status.

    The same shape as the Podman adapter's `engine_errors`.

    Args:
        action: what was being done, for the message ("removing container web-1").
        socket: the daemon's socket path, named in the message when the daemon is gone.
        not_found: the NotFound subclass a 404 stands for here.
        conflict: what a 409 stands for here (NameConflict on creation, else a refusal).
    """
    try:
        yield
    except docker.errors.ImageNotFound as exc:
        raise ImageNotFound(f"{action}: {exc.explanation}; {_HINTS[ImageNotFound]}") from exc
    except docker.errors.NotFound as exc:
        raise not_found(f"{action}: {exc.explanation}; {_HINTS[not_found]}") from exc
    except docker.errors.APIError as exc:
        if exc.status_code == 409:
            hint = "choose another name or remove the old one" if conflict is NameConflict else ""
            raise conflict(f"{action}: {exc.explanation}" + (f"; {hint}" if hint else "")) from exc
        raise EngineError(f"{action}: Docker refused: {exc.explanation or exc}") from exc
    except requests.exceptions.Timeout as exc:
        raise EngineError(f"{action}: Docker did not answer in time; check `docker info`") from exc
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,  # the daemon died mid-stream
        ConnectionError,
    ) as exc:
        raise EngineGone(
            f"{action}: Docker stopped answering at {socket}; restart dockerd and retry"
        ) from exc
    except FileNotFoundError as exc:
        if not socket or os.path.exists(socket):
            raise
        raise EngineGone(f"{action}: Docker's socket {socket} is gone; restart dockerd") from exc
    except docker.errors.DockerException as exc:
        raise EngineError(f"{action}: {exc}") from exc
