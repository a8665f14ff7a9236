"""Engine-side names and labels of a stack's resources, and project names: the one place that
spells them. (Course images are named by toolkit.images: containerfile.COURSE_NAMESPACE.)

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
from typing import TYPE_CHECKING

from toolkit.errors import UsageError
from toolkit.runtime.specs import LabelSelector

if TYPE_CHECKING:
    from toolkit.stack.model import Stack

LABEL_PROJECT = "io.labkit.project"
LABEL_SERVICE = "io.labkit.service"
LABEL_EXERCISE = "io.labkit.exercise"
LABEL_CONFIG_HASH = "io.labkit.config-hash"
LABEL_NETWORK = "io.labkit.network"
LABEL_VOLUME = "io.labkit.volume"
LABEL_OWNER = "io.labkit.owner"
# The run a resource belongs to: set by those who remove what they create when they end
# (the pytest plugin, the self-test).
LABEL_RUN = "io.labkit.run"
LABEL_INTERFACES = "io.labkit.interfaces"  # network key -> interface name (stack/interfaces.py)
# `down` finds containers by label only; this one carries the service's stop_grace_period so
# `down` can honour it without reading the Compose file.
LABEL_STOP_GRACE = "io.labkit.stop-grace-period"

# The network a service joins when it names none, as in Compose.
DEFAULT_NETWORK = "default"


def normalise_project_name(written: str) -> str:
    """The one rule for project names, wherever they come from (-p, the file's `name`, its
    folder): lowercase, keep only a-z, 0-9, '_' and '-', no leading '_' or '-', as Compose
    does with a folder's name. The result may be empty. Valid names also make valid image tags
    (`<project>-<service>`)."""
    return re.sub(r"[^a-z0-9_-]", "", written.lower()).lstrip("_-")


def project_name(given: str) -> str:
    """The project a given name (-p) means, by the one rule; UsageError when nothing is left."""
    name = normalise_project_name(given)
    if not name:
        raise UsageError(
            f"invalid project name {given!r}: use lowercase letters, digits, '_' and '-' (e.g. -p lab1)"
        )
    return name


def project_from_stack_name(name: str) -> str:
    """Turn a stack's name (a folder name, say) into a project name; "default" if nothing is left."""
    return normalise_project_name(name) or "default"


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


def resolve_project(stack: Stack, project: str | None) -> str:
    """The project name: the one given (by the project-name rule), else one made from the stack's name."""
    if project:
        return project_name(project)
    return project_from_stack_name(stack.name)


def exercise_name(stack: Stack) -> str:
    """The exercise a stack is: the name of its folder under compose/."""
    return stack.folder.name
