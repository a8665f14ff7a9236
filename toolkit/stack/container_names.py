"""Fixed container names (`container_name`): one per host, so two projects cannot both have it.

Compose lets a service choose its container's name instead of `<project>-<service>`. The engine
holds one container per name, so the same file cannot run twice on one host (a class with
`-p alice` and `-p bob`), and two services of one file cannot share a name. `up` says so before
creating anything, naming the service, the name and whoever holds it.
"""

from __future__ import annotations

from collections.abc import Iterable

from toolkit.errors import ContainerNotFound, StackError, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.model import Stack


def fixed_names(stack: Stack, services: Iterable[str]) -> dict[str, str]:
    """The services' fixed container names: name -> service; UsageError if two share one."""
    chosen: dict[str, str] = {}
    for service in services:
        name = stack.services[service].container_name
        if name is None:
            continue
        if name in chosen:
            raise UsageError(
                f"{stack.file}: services {chosen[name]} and {service} both set container_name {name}; "
                "give each its own"
            )
        chosen[name] = service
    return chosen


def check_container_names(runtime: Runtime, project: str, stack: Stack, services: Iterable[str]) -> None:
    """Refuse fixed container names held by a container that is not this project's.

    Raises:
        StackError: naming the service, the name and who holds it.
    """
    for name, service in fixed_names(stack, services).items():
        try:
            info = runtime.inspect_container(name)
        except ContainerNotFound:
            continue
        owner = info.labels.get(naming.LABEL_PROJECT)
        if owner != project:
            whose = f"labkit project {owner}" if owner else "not labkit's"
            raise StackError(
                f"service {service} sets container_name {name}, and a container of that name exists "
                f"({whose}): a fixed name runs once per host; bring that one down, or remove "
                "container_name to run this file under several project names",
                service=service,
            )
