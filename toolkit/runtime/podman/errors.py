"""The one place where podman-py's errors become labkit's.

Every call the Podman adapter makes runs inside `engine_errors`, which turns the SDK's exception
types and HTTP status codes into `toolkit.errors` (never by reading message text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import requests
from podman import errors as podman_errors

from toolkit.errors import (
    EngineError,
    EngineGone,
    ImageNotFound,
    NotFound,
)

# A JSON document as the libpod API sends it; it never leaves the adapter's modules.
JSON = dict[str, Any]

HTTP_CONFLICT = 409


_SOCKET_IN_URL = re.compile(r"http://([^/]+)/")


def _gone(what: str, exc: Exception, socket: str) -> EngineGone:
    """The engine stopped answering: said with its socket and the way back, not the SDK's URL."""
    found = _SOCKET_IN_URL.search(str(exc))
    if socket:
        where = f" at {socket}"
    else:
        where = f" at {unquote(found.group(1))}" if found and "%2F" in found.group(1) else ""
    return EngineGone(
        f"{what}: Podman stopped answering{where}; restart its API service "
        "(scripts/provision-engines does) and retry"
    )


def _reason(exc: podman_errors.APIError) -> str:
    """The service's own words: its message, else the HTTP status."""
    if exc.explanation:
        return str(exc.explanation)
    return str(exc.args[0]) if exc.args else str(exc)


@contextmanager
def engine_errors(
    what: str,
    *,
    socket: str = "",
    not_found: type[NotFound] = NotFound,
    conflict: type[EngineError] = EngineError,
) -> Iterator[None]:
    """Turn podman-py errors raised inside the block into toolkit errors.

    The same shape as the Docker adapter's `engine_errors`.

    Args:
        what: the resource or operation, for the message ("container web-1").
        socket: the service's socket path, for the message when it is gone (else read from
            the SDK's URL).
        not_found: the NotFound subclass a 404 stands for here.
        conflict: what a 409 stands for here: NameConflict on creation; elsewhere a 409 is a
            refusal ("container is not running"), reported as EngineError.
    """
    try:
        yield
    except podman_errors.ImageNotFound as exc:
        raise ImageNotFound(f"{what}: {_reason(exc)}") from exc
    except podman_errors.NotFound as exc:
        raise not_found(f"{what}: {_reason(exc)}") from exc
    except podman_errors.APIError as exc:
        if exc.status_code is None:  # the SDK wraps connection failures without a response
            raise _gone(what, exc, socket) from exc
        if exc.status_code == HTTP_CONFLICT:
            raise conflict(f"{what}: {_reason(exc)}") from exc
        raise EngineError(f"{what}: {_reason(exc)}") from exc
    except requests.exceptions.RequestException as exc:  # a stream broken mid-way
        raise _gone(what, exc, socket) from exc


def check(response: Any, not_found: type[podman_errors.APIError] = podman_errors.NotFound) -> Any:
    """Raise the SDK's error for a failed response (inside `engine_errors`), else return it."""
    response.raise_for_status(not_found=not_found)
    return response


def body(response: Any) -> Any:
    """The checked response's JSON document."""
    return check(response).json()
