"""What the engine holds that concerns one `up`, looked up in one go.

`up` decides everything from one listing: every network (any subnet on the engine can clash),
the project's containers and its volumes. The three calls run side by side; a retry after the
engine refused a network looks again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, NetworkInfo
from toolkit.stack import naming


@dataclass(frozen=True)
class ProjectState:
    """The engine's networks, and the project's containers and volumes."""

    project: str
    networks: tuple[NetworkInfo, ...]  # every network on the engine
    containers: dict[str, ContainerInfo]  # the project's, by service
    volumes: frozenset[str]  # the project's, by engine name

    @property
    def ours(self) -> dict[str, NetworkInfo]:
        """The project's networks, by Compose key."""
        return {
            n.labels.get(naming.LABEL_NETWORK, ""): n
            for n in self.networks
            if n.labels.get(naming.LABEL_PROJECT) == self.project
        }


def look(runtime: Runtime, project: str, *, volumes: bool) -> ProjectState:
    """List what `up` of `project` needs to know; the project's volumes only when `volumes`."""
    with ThreadPoolExecutor(3, thread_name_prefix="labkit-look") as pool:
        networks = pool.submit(runtime.list_networks, {})
        containers = pool.submit(
            runtime.list_containers, naming.stack_container_selector(project), health=False
        )
        listed = pool.submit(runtime.list_volumes, naming.project_selector(project)) if volumes else None
        return ProjectState(
            project=project,
            networks=tuple(networks.result()),
            containers={c.labels[naming.LABEL_SERVICE]: c for c in containers.result()},
            volumes=frozenset(v.name for v in listed.result()) if listed else frozenset(),
        )
