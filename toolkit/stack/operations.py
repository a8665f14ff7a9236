"""`down`, `ps`, `logs` and `exec`: work on a running project, found by its labels alone.

Nothing here reads a state file or matches names: a container is the project's when it carries
`io.labkit.project=<project>`, so a `down` after a killed `up` still finds every leftover, and a
container that merely shares the name prefix is never touched.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from toolkit.errors import (
    ContainerNotFound,
    NetworkNotFound,
    StackError,
    ToolkitError,
    UsageError,
    VolumeNotFound,
)
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ExecResult
from toolkit.stack import naming
from toolkit.stack.outcomes import DownResult, LogLine, ServiceStatus, StackEvent, StackEventCallback

DOWN_WORKERS = 8


def down(
    runtime: Runtime,
    project: str,
    *,
    volumes: bool = False,
    on_event: StackEventCallback | None = None,
) -> DownResult:
    """Remove the project's containers (killed: no stop timeout, unless the service set a
    stop_grace_period), then its networks, then with `volumes` its volumes.

    Raises StackError listing what could not be removed (a network some foreign container
    still uses, say) after removing everything else.
    """
    emit = on_event or (lambda event: None)
    selector = naming.project_selector(naming.project_name(project))
    # Health is not read here: no probe is run on any container about to go.
    containers = runtime.list_containers(selector, health=False)
    problems: list[str] = []

    def remove(info: ContainerInfo) -> str | None:
        grace = info.labels.get(naming.LABEL_STOP_GRACE)
        try:
            if grace and info.running:
                with contextlib.suppress(ContainerNotFound):
                    runtime.stop_container(info.id, timeout=float(grace))
            runtime.remove_container(info.id, force=True)
        except ContainerNotFound:
            return None  # gone already
        except ToolkitError as exc:
            problems.append(f"container {info.name}: {exc}")
            return None
        emit(StackEvent("container-removed", info.name))
        return info.name

    remove_network = _removing("network", runtime.remove_network, NetworkNotFound, problems)
    remove_volume = _removing(
        "volume", lambda name: runtime.remove_volume(name, force=True), VolumeNotFound, problems
    )
    with ThreadPoolExecutor(DOWN_WORKERS, thread_name_prefix="labkit-down") as pool:
        removed = [name for name in pool.map(remove, containers) if name]
        # Networks and volumes go only once every container that used them is gone.
        network_names = [n.name for n in runtime.list_networks(selector)]
        networks = [name for name in pool.map(remove_network, network_names) if name]
        gone_volumes: list[str] = []
        if volumes:
            volume_names = [v.name for v in runtime.list_volumes(selector)]
            gone_volumes = [name for name in pool.map(remove_volume, volume_names) if name]
    if problems:
        raise StackError(
            f"project {project} was only partly removed: {'; '.join(problems)}; remove those by "
            f"hand (docker/podman rm), then run `labkit down -p {project}` again"
        )
    return DownResult(project, tuple(sorted(removed)), tuple(sorted(networks)), tuple(sorted(gone_volumes)))


def _removing(
    kind: str, remove: Callable[[str], None], gone: type[ToolkitError], problems: list[str]
) -> Callable[[str], str | None]:
    """`remove` as `down` maps it over names: the name once removed; None when it was gone
    already, or when it was refused (the refusal added to `problems`)."""

    def attempt(name: str) -> str | None:
        try:
            remove(name)
        except gone:
            return None
        except ToolkitError as exc:
            problems.append(f"{kind} {name}: {exc}")
            return None
        return name

    return attempt


def ps(runtime: Runtime, project: str | None = None, *, order: Sequence[str] = ()) -> list[ServiceStatus]:
    """The stack containers of `project` (None: of every labkit project), by project, then in
    `order` of services (the plan's start order), then by name."""
    found = runtime.list_containers(naming.stack_container_selector(project))
    rank = {name: index for index, name in enumerate(order)}
    statuses = [ServiceStatus.from_info(info) for info in found]
    return sorted(statuses, key=lambda s: (s.project, rank.get(s.service, len(rank)), s.service))


def find_service(runtime: Runtime, project: str, service: str) -> ContainerInfo:
    """The container of one service; raises UsageError naming the project's services."""
    found = runtime.list_containers(naming.stack_container_selector(project), health=False)
    for info in found:
        if info.labels.get(naming.LABEL_SERVICE) == service:
            return info
    if not found:
        raise UsageError(f"project {project} is not up: run `labkit up` first")
    services = sorted(i.labels.get(naming.LABEL_SERVICE, "") for i in found)
    raise UsageError(f"project {project} has no service {service!r}: choose one of {', '.join(services)}")


def exec_in_service(
    runtime: Runtime,
    project: str,
    service: str,
    argv: Sequence[str],
    *,
    user: str | None = None,
    timeout: float | None = None,
) -> ExecResult:
    """Run a command in a service's container and return its result."""
    info = find_service(runtime, project, service)
    if not info.running:
        raise StackError(
            f"service {service} of project {project} is {info.state.value}, not running: "
            f"see `labkit logs -p {project} {service}`, then run `labkit up` again",
            service=service,
        )
    return runtime.exec(info.id, argv, user=user, timeout=timeout)


def logs(
    runtime: Runtime,
    project: str,
    service: str | None = None,
    *,
    tail: int | None = None,
    follow: bool = False,
    order: Sequence[str] = (),
) -> Iterator[LogLine]:
    """Log lines of one service, or of every service of the project.

    Without follow, services come one after the other (in `order`); with follow, lines of all
    services are interleaved as they come, until every container stops.
    """
    if service is not None:
        targets = [find_service(runtime, project, service)]
    else:
        rank = {name: index for index, name in enumerate(order)}
        targets = sorted(
            runtime.list_containers(naming.stack_container_selector(project), health=False),
            key=lambda i: (rank.get(i.labels.get(naming.LABEL_SERVICE, ""), len(rank)), i.name),
        )
        if not targets:
            raise UsageError(f"project {project} is not up: run `labkit up` first")
    if not follow or len(targets) == 1:
        return _one_after_another(runtime, targets, tail, follow)
    return _interleaved(runtime, targets, tail)


def _service_of(info: ContainerInfo) -> str:
    return info.labels.get(naming.LABEL_SERVICE, info.name)


def _one_after_another(
    runtime: Runtime, targets: list[ContainerInfo], tail: int | None, follow: bool
) -> Iterator[LogLine]:
    for info in targets:
        for text in runtime.container_logs(info.id, tail=tail, follow=follow):
            yield LogLine(_service_of(info), text)


_DONE = object()


def _interleaved(runtime: Runtime, targets: list[ContainerInfo], tail: int | None) -> Iterator[LogLine]:
    lines: queue.Queue[object] = queue.Queue()

    def pump(info: ContainerInfo) -> None:
        try:
            for text in runtime.container_logs(info.id, tail=tail, follow=True):
                lines.put(LogLine(_service_of(info), text))
        except BaseException as exc:  # handed to the reading thread
            lines.put(exc)
        finally:
            lines.put(_DONE)

    # Daemon threads: a follow ends only when its container stops or the reader quits.
    for info in targets:
        threading.Thread(target=pump, args=(info,), name=f"logs-{info.name}", daemon=True).start()
    running = len(targets)
    while running:
        item = lines.get()
        if item is _DONE:
            running -= 1
        elif isinstance(item, BaseException):
            raise item
        elif isinstance(item, LogLine):
            yield item
