"""Services that would stop as soon as they start: what `validate` warns about.

A course image such as labkit/base runs `bash`, which exits at once without a terminal, so a
lab service written `image: labkit/base...` with no command of its own is gone by the time a
check runs in it, and `up` fails after `validate` said the file was fine. Engine-free: the
command comes from the service, else from the course image's Containerfile (and its parents).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from toolkit.images.containerfile import COURSE_NAMESPACE, parse_template
from toolkit.stack.model import Service, Stack

# A shell with no script and no terminal reads an empty stdin and exits.
SHELLS = frozenset({"bash", "sh", "/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/sh"})


@dataclass(frozen=True)
class IdleService:
    """A service whose command exits at once; `runs`: that command, as written."""

    service: str
    runs: str


def _command(arguments: str) -> tuple[str, ...]:
    """A CMD's arguments, exec form (a JSON list) or shell form."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return ("/bin/sh", "-c", arguments)
    return tuple(str(part) for part in value) if isinstance(value, list) else ()


def image_command(images_root: Path, image: str, depth: int = 8) -> tuple[str, ...] | None:
    """The CMD a course image (`labkit/NAME:TAG`) runs, following its FROM; None if unknown."""
    prefix = f"{COURSE_NAMESPACE}/"
    if depth == 0 or not image.startswith(prefix):
        return None
    name = image[len(prefix) :].split(":", 1)[0]
    try:
        template = parse_template((images_root / name / "Containerfile").read_text(), name)
    except OSError:
        return None
    commands = [i for i in template.instructions if i.keyword == "CMD"]
    if commands:
        return _command(commands[-1].arguments)
    parents = template.from_lines()
    return image_command(images_root, parents[-1].image, depth - 1) if parents else None


def _one_shot(stack: Stack, service: str) -> bool:
    """Whether another service waits for this one to finish: a job, meant to exit."""
    return any(
        dependency.service == service and dependency.condition == "service_completed_successfully"
        for other in stack.services.values()
        for dependency in other.depends_on
    )


def _runs(service: Service, images_root: Path) -> tuple[str, ...] | None:
    if service.entrypoint:
        return (*service.entrypoint, *(service.command or ()))
    if service.command is not None:
        return service.command
    return image_command(images_root, service.image) if service.image else None


def idle_services(stack: Stack, images_root: Path) -> list[IdleService]:
    """The services of a lab with checks whose command would exit at once: a bare shell with
    no terminal, no restart policy and no one-shot role."""
    if not stack.exercise.checks:
        return []
    found = []
    for name, service in stack.services.items():
        if service.tty or service.stdin_open or service.restart != "no" or _one_shot(stack, name):
            continue
        runs = _runs(service, images_root)
        if runs and len(runs) == 1 and runs[0] in SHELLS:
            found.append(IdleService(name, shlex.join(runs)))
    return found
