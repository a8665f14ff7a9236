"""`up`: bring an exercise stack to the state its Compose file describes, changing only what differs.

In order: validate (no engine yet), check the engine's networks for names and subnets this stack
would clash with (before creating anything), make the images, then compare each service's
config hash with the container the project already has: equal ones stay, changed ones are
recreated, missing ones created, containers of services no longer in the file removed. The
scheduler starts services as their dependencies allow and waits until each is running and
healthy. On failure or Ctrl-C, everything this `up` created is removed again.

`down`, `ps`, `logs` and `exec` are in operations.py: they find a project's resources by label.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from toolkit.errors import (
    ContainerNotFound,
    Interrupted,
    NetworkNotFound,
    StackError,
    ToolkitError,
)
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerState, NetworkInfo, NetworkSpec
from toolkit.stack import naming
from toolkit.stack.model import Stack
from toolkit.stack.plan import Plan, make_plan
from toolkit.stack.renumber import clash_error, engine_subnets, find_clashes
from toolkit.stack.results import Action, StackEvent, StackEventCallback, UpResult
from toolkit.stack.safety import check_safety
from toolkit.stack.scheduler import DEFAULT_WORKERS, Scheduler, ServiceFailed, ServiceWork
from toolkit.stack.service_images import prepare_images
from toolkit.stack.specs_from_model import (
    ResolvedService,
    check_supported,
    network_spec,
    resolve_service,
    volume_spec,
)

DEFAULT_TIMEOUT = 120.0
T = TypeVar("T")


def resolve_project(stack: Stack, project: str | None) -> str:
    """The project name: the one given (checked), else one made from the stack's name."""
    if project:
        return naming.check_project_name(project)
    return naming.project_from_stack_name(stack.name)


def exercise_name(stack: Stack) -> str:
    """The exercise a stack is: the name of its folder under compose/."""
    return stack.folder.name


def validate(stack: Stack) -> Plan:
    """Check what can be checked without an engine and return the plan; raises ConfigError."""
    plan = make_plan(stack)
    for name in plan.service_names:
        check_supported(stack, stack.services[name])
    return plan


def preflight(stack: Stack, *, allow_privileged: bool = False) -> Plan:
    """Everything `up` checks before it asks an engine: validate, then the host-access policy."""
    plan = validate(stack)
    check_safety(stack, allow_privileged=allow_privileged)
    return plan


@dataclass
class _Created:
    """What this `up` created, so a failure can take exactly that away again."""

    containers: list[str] = field(default_factory=list)  # ids: a name may be someone else's
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def up(
    runtime: Runtime,
    stack: Stack,
    *,
    project: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    wait: bool = True,
    keep_on_failure: bool = False,
    allow_privileged: bool = False,
    on_event: StackEventCallback | None = None,
    workers: int = DEFAULT_WORKERS,
) -> UpResult:
    """Bring the stack up (or up to date) as `project`; return every service's status.

    With wait=False, return once every service has started (dependencies are still honoured).
    Services asking for host access run only if the exercise allows it and allow_privileged
    is true (safety.check_safety). Raises ConfigError or UsageError before touching the
    engine, UsageError for a subnet clash, StackError
    naming the service that did not come up (with its probe output and log tail), and
    Interrupted on Ctrl-C, in each case after removing what this call created (a failure
    keeps it with keep_on_failure).
    """
    emit = on_event or (lambda event: None)
    project = resolve_project(stack, project)
    plan = preflight(stack, allow_privileged=allow_privileged)
    exercise = exercise_name(stack)
    net_specs = {n.name: network_spec(project, exercise, n) for n in plan.networks}

    with ThreadPoolExecutor(3, thread_name_prefix="labkit-look") as pool:
        networks_future = pool.submit(runtime.list_networks, {})
        containers_future = pool.submit(runtime.list_containers, naming.stack_container_selector(project))
        volumes_future = (
            pool.submit(runtime.list_volumes, naming.project_selector(project)) if plan.volumes else None
        )
        engine_networks = networks_future.result()
        _check_networks(stack, project, net_specs, engine_networks)
        existing = {c.labels[naming.LABEL_SERVICE]: c for c in containers_future.result()}
        existing_volumes = {v.name for v in volumes_future.result()} if volumes_future else set()

    images = prepare_images(runtime, stack, plan.service_names, project=project, on_event=on_event)
    resolved = {
        name: resolve_service(
            stack,
            stack.services[name],
            project=project,
            exercise=exercise,
            image=images[name].info,
            image_ref=images[name].ref,
            networks=net_specs,
        )
        for name in plan.service_names
    }
    work = {name: _decide(plan, resolved[name], existing.get(name)) for name in plan.service_names}
    obsolete = [c for c in existing.values() if c.labels[naming.LABEL_SERVICE] not in resolved]
    ours = {
        n.labels.get(naming.LABEL_NETWORK, ""): n
        for n in engine_networks
        if n.labels.get(naming.LABEL_PROJECT) == project
    }

    created = _Created()
    try:
        replaced = [existing[n].name for n, w in work.items() if w.action == "recreated"]
        _remove_containers(runtime, [*replaced, *(c.name for c in obsolete)], emit)
        _converge_networks(runtime, net_specs, ours, created, emit)
        for volume in plan.volumes:
            spec = volume_spec(project, exercise, volume)
            if spec.name not in existing_volumes:
                runtime.create_volume(spec)
                created.volumes.append(spec.name)
                emit(StackEvent("volume-created", volume.name, spec.name))
        scheduler = Scheduler(
            runtime,
            plan,
            work,
            timeout=timeout,
            wait_all=wait,
            on_event=on_event,
            workers=workers,
            created=created.containers,
        )
        statuses = scheduler.run()
    except ServiceFailed as exc:
        if not keep_on_failure:
            _undo(runtime, created, emit)
        kept = (
            f"its containers are kept for a look: `labkit logs`, then `labkit down -p {project}`"
            if keep_on_failure
            else "what this up created was removed (--keep-on-failure keeps it for a look)"
        )
        raise StackError(
            f"{exc}; {kept}",
            service=exc.service,
            probe_output=exc.probe_output,
            log_tail=exc.log_tail,
        ) from None
    except KeyboardInterrupt:
        _undo(runtime, created, emit)
        raise Interrupted(f"interrupted: what this up of project {project} had created was removed") from None
    except ToolkitError:
        if not keep_on_failure:
            _undo(runtime, created, emit)
        raise

    return UpResult(
        project=project,
        exercise=exercise,
        engine=runtime.name,
        services=tuple(statuses[name] for name in plan.service_names),
        networks_created=tuple(created.networks),
        volumes_created=tuple(created.volumes),
        removed=tuple(c.name for c in obsolete),
        waited=wait,
    )


# ---------------------------------------------------------------- before anything is created


def _check_networks(
    stack: Stack, project: str, specs: Mapping[str, NetworkSpec], engine: Iterable[NetworkInfo]
) -> None:
    """Refuse names taken by someone else's networks and subnets that overlap any network."""
    wanted = {spec.name for spec in specs.values()}
    others = []
    for network in engine:
        mine = network.labels.get(naming.LABEL_PROJECT) == project
        if network.name in wanted and not mine:
            owner = network.labels.get(naming.LABEL_PROJECT)
            whose = f"labkit project {owner}" if owner else "not labkit's"
            raise StackError(
                f"network {network.name} exists already ({whose}): remove it, or choose another "
                "project name with -p"
            )
        if not (mine and network.name in wanted):
            others.append(network)
    clashes = find_clashes(stack, engine_subnets(others))
    if clashes:
        raise clash_error(stack, clashes)


def _decide(plan: Plan, resolved: ResolvedService, existing: ContainerInfo | None) -> ServiceWork:
    action: Action
    if existing is None:
        action = "created"
    elif existing.labels.get(naming.LABEL_CONFIG_HASH) != resolved.config_hash:
        action = "recreated"
    elif existing.running or (
        existing.state is ContainerState.EXITED
        and existing.exit_code == 0
        and "service_completed_successfully" in plan.awaited_conditions(resolved.name)
    ):
        action = "unchanged"
    else:
        action = "started"  # same config, but stopped: start it again
    return ServiceWork(resolved, action, existing if action == "unchanged" else None)


# ---------------------------------------------------------------- engine work


def _parallel(fn: Callable[[str], T], items: list[str]) -> list[T]:
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(min(len(items), DEFAULT_WORKERS), thread_name_prefix="labkit") as pool:
        return list(pool.map(fn, items))


def _remove_containers(runtime: Runtime, names: list[str], emit: StackEventCallback) -> None:
    def remove(name: str) -> None:
        with contextlib.suppress(ContainerNotFound):
            runtime.remove_container(name, force=True)
            emit(StackEvent("container-removed", name))

    _parallel(remove, names)


def _converge_networks(
    runtime: Runtime,
    specs: Mapping[str, NetworkSpec],
    ours: Mapping[str, NetworkInfo],
    created: _Created,
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

    _parallel(create, [spec.name for spec in missing])


def _network_matches(info: NetworkInfo, spec: NetworkSpec) -> bool:
    return (
        info.name == spec.name
        and info.internal == spec.internal
        and (spec.subnet is None or info.subnet == spec.subnet)
        and (spec.gateway is None or info.gateway == spec.gateway)
    )


def _undo(runtime: Runtime, created: _Created, emit: StackEventCallback) -> None:
    """Remove what this `up` created; keep going past errors so as much as possible goes."""
    emit(StackEvent("cleanup", "", "removing what this up created"))

    def remove_container(name: str) -> None:
        with contextlib.suppress(ToolkitError):
            runtime.remove_container(name, force=True)

    _parallel(remove_container, created.containers)
    for network in created.networks:
        with contextlib.suppress(ToolkitError):
            runtime.remove_network(network)
    for volume in created.volumes:
        with contextlib.suppress(ToolkitError):
            runtime.remove_volume(volume, force=True)
