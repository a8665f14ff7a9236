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
from typing import Any
from urllib.parse import quote

from toolkit.errors import EngineUnavailable
from toolkit.runtime.select import EngineChoice, _UnixHTTPConnection

PEEK_TIMEOUT = 5.0
ATTEMPTS = 3


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
    listed = _get(choice, "/containers/json?all=1&filters=" + quote(json.dumps({"label": wanted})), timeout)
    return [
        Peeked(labels=dict(entry.get("Labels") or {}), running=entry.get("State") == "running")
        for entry in listed
    ]


def network_subnets(choice: EngineChoice, timeout: float = PEEK_TIMEOUT) -> list[tuple[str, str]]:
    """(network name, subnet) of every subnet of every network on the engine.

    Raises:
        EngineUnavailable: the engine does not answer on its socket.
    """
    return [
        (str(network.get("Name", "")), str(config["Subnet"]))
        for network in _get(choice, "/networks", timeout)
        for config in (network.get("IPAM") or {}).get("Config") or []
        if config.get("Subnet")
    ]


def _get(choice: EngineChoice, path: str, timeout: float) -> list[dict[str, Any]]:
    """GET a JSON list from the engine's Docker-compatible API.

    Asked again after a server error: Podman answers 500 when a container or network goes
    away while it lists them (another project's `down`), and a listing that quietly came back
    empty would make a project look absent.
    """
    for attempt in range(1, ATTEMPTS + 1):
        conn = _UnixHTTPConnection(choice.socket, timeout)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise EngineUnavailable(f"{choice.name} at {choice.socket} stopped answering: {exc}") from exc
        finally:
            conn.close()
        if response.status < 500 or attempt == ATTEMPTS:
            break
    if response.status != 200:
        raise EngineUnavailable(f"{choice.name} at {choice.socket} answered {response.status} to GET {path}")
    listed = json.loads(body or b"[]")
    return listed if isinstance(listed, list) else []
