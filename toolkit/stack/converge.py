"""The engine work of `up`: remove, create, and undo what one `up` created.

Containers go in parallel (the engines take several at once); a failure's undo keeps going
past errors, so that as much as possible goes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from toolkit.errors import ContainerNotFound, NetworkNotFound, ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import NetworkInfo, NetworkSpec
from toolkit.stack.outcomes import StackEvent, StackEventCallback
from toolkit.stack.scheduler import DEFAULT_WORKERS

T = TypeVar("T")


@dataclass
class Created:
    """What this `up` created, so a failure can take exactly that away again."""

    containers: list[str] = field(default_factory=list)  # ids: a name may be someone else's
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def parallel(fn: Callable[[str], T], items: list[str]) -> list[T]:
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(min(len(items), DEFAULT_WORKERS), thread_name_prefix="labkit") as pool:
        return list(pool.map(fn, items))


def remove_containers(runtime: Runtime, names: list[str], emit: StackEventCallback) -> None:
    def remove(name: str) -> None:
        with contextlib.suppress(ContainerNotFound):
            runtime.remove_container(name, force=True)
            emit(StackEvent("container-removed", name))

    parallel(remove, names)


def converge_networks(
    runtime: Runtime,
    specs: Mapping[str, NetworkSpec],
    ours: Mapping[str, NetworkInfo],
    created: Created,
    emit: StackEventCallback,
) -> None:
    """Remove the project's networks that changed or went away, create the missing ones."""
    stale = [
        info.name for key, info in ours.items() if key not in specs or not _network_matches(info, specs[key])
    ]
    for name in stale:
        with contextlib.suppress(NetworkNotFound):
            runtime.remove_network(name)
    current = {info.name for key, info in ours.items() if info.name not in stale}
    missing = [spec for spec in specs.values() if spec.name not in current]

    def create(name: str) -> str:
        spec = next(s for s in missing if s.name == name)
        runtime.create_network(spec)
        created.networks.append(name)
        emit(StackEvent("network-created", name, spec.subnet or ""))
        return name

    parallel(create, [spec.name for spec in missing])


def _network_matches(info: NetworkInfo, spec: NetworkSpec) -> bool:
    return (
        info.name == spec.name
        and info.internal == spec.internal
        and (spec.subnet is None or info.subnet == spec.subnet)
        and (spec.gateway is None or info.gateway == spec.gateway)
    )


def remove_networks(runtime: Runtime, created: Created) -> None:
    """Remove the networks this `up` created so far (a refused attempt's), and forget them."""
    for network in created.networks:
        with contextlib.suppress(ToolkitError):
            runtime.remove_network(network)
    created.networks.clear()


def undo(runtime: Runtime, created: Created, emit: StackEventCallback) -> None:
    """Remove what this `up` created; keep going past errors so as much as possible goes."""
    emit(StackEvent("cleanup", "", "removing what this up created"))

    def remove_container(name: str) -> None:
        with contextlib.suppress(ToolkitError):
            runtime.remove_container(name, force=True)

    parallel(remove_container, created.containers)
    remove_networks(runtime, created)
    for volume in created.volumes:
        with contextlib.suppress(ToolkitError):
            runtime.remove_volume(volume, force=True)
