"""Engine-side names and labels of a stack's resources: the one place that spells them.

Every container, network and volume labkit creates for a stack carries `io.labkit.project`, so
`down`, `ps` and `gc` find them by label, never by name or by a state file. The owner label
(`<hostname>:<pid>`) lets a later `gc` tell the leftovers of a process that died.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import socket
from collections.abc import Mapping
from enum import Enum
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.runtime.specs import LabelSelector

LABEL_PROJECT = "io.labkit.project"
LABEL_SERVICE = "io.labkit.service"
LABEL_EXERCISE = "io.labkit.exercise"
LABEL_CONFIG_HASH = "io.labkit.config-hash"
LABEL_NETWORK = "io.labkit.network"
LABEL_VOLUME = "io.labkit.volume"
LABEL_OWNER = "io.labkit.owner"
# `down` finds containers by label only; this one carries the service's stop_grace_period so
# `down` can honour it without reading the Compose file.
LABEL_STOP_GRACE = "io.labkit.stop-grace-period"

# Compose's rule for project names; also keeps image tags (`<project>-<service>`) valid.
_PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def check_project_name(project: str) -> str:
    """Return the project name if Compose would accept it; raise UsageError otherwise."""
    if not _PROJECT_NAME.match(project):
        raise UsageError(
            f"invalid project name {project!r}: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit (e.g. -p lab1)"
        )
    return project


def project_from_stack_name(name: str) -> str:
    """Turn a stack's name (a folder name, say) into a valid project name, as Compose does."""
    lowered = re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("_-")
    return lowered or "default"


def container_name(project: str, service: str) -> str:
    return f"{project}-{service}"


def network_name(project: str, network: str) -> str:
    return f"{project}-{network}"


def volume_name(project: str, volume: str) -> str:
    return f"{project}-{volume}"


def build_tag(project: str, service: str) -> str:
    """The tag of an image built for a service with `build:` (image names are lowercase)."""
    return f"{project}-{service}".lower()


def owner() -> str:
    """This process, as the owner label names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def project_selector(project: str | None = None) -> LabelSelector:
    """Select a project's resources, or (None) every labkit stack's."""
    return {LABEL_PROJECT: project}


def stack_container_selector(project: str | None = None, service: str | None = None) -> LabelSelector:
    """Select stack containers (they carry a service label; test fixtures' containers do not)."""
    return {LABEL_PROJECT: project, LABEL_SERVICE: service}


def resource_labels(project: str, exercise: str) -> dict[str, str]:
    """The labels every resource of a stack carries."""
    return {LABEL_PROJECT: project, LABEL_EXERCISE: exercise, LABEL_OWNER: owner()}


def _canonical(value: object) -> object:
    """A JSON-able form of nested dataclasses, mappings and tuples, stable across runs."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, Path | Enum):
        return str(value)
    return value


def config_hash(*parts: object) -> str:
    """A short, stable hash of resolved specs: equal hashes mean nothing to recreate."""
    text = json.dumps([_canonical(p) for p in parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
