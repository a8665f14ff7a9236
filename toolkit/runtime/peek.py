"""A cheap look at an engine's labelled containers, without loading its SDK.

Commands that name a project look at every engine on the host to find the one running it.
Loading an engine's SDK to ask costs more than the answer: both engines serve the same
Docker-compatible `GET /containers/json` on their socket (Podman's service answers it beside
its own API), so one plain HTTP request on each socket says which containers carry a label.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from toolkit.errors import EngineUnavailable
from toolkit.runtime.select import EngineChoice, _UnixHTTPConnection

PEEK_TIMEOUT = 5.0


@dataclass(frozen=True)
class Peeked:
    """One container as the listing shows it: its labels and whether it runs."""

    labels: Mapping[str, str]
    running: bool


def labelled_containers(
    choice: EngineChoice, labels: Mapping[str, str | None], timeout: float = PEEK_TIMEOUT
) -> list[Peeked]:
    """The containers (running or not) carrying every label of `labels` (None: any value).

    Raises:
        EngineUnavailable: the engine does not answer on its socket.
    """
    wanted = [key if value is None else f"{key}={value}" for key, value in labels.items()]
    path = "/containers/json?all=1&filters=" + quote(json.dumps({"label": wanted}))
    conn = _UnixHTTPConnection(choice.socket, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise EngineUnavailable(f"{choice.name} at {choice.socket} stopped answering: {exc}") from exc
    finally:
        conn.close()
    if response.status != 200:
        raise EngineUnavailable(
            f"{choice.name} at {choice.socket} answered {response.status} to a container listing"
        )
    return [
        Peeked(labels=dict(entry.get("Labels") or {}), running=entry.get("State") == "running")
        for entry in json.loads(body or b"[]")
    ]
