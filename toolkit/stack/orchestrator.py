"""`up`: bring an exercise stack to the state its Compose file describes, changing only what differs.

In order: validate (no engine yet), decide the project's subnets (placement.py: the ones its
networks have, else the declared ones, refused when they clash with a network on the engine, or
free ones with renumbering) before creating anything, make the images, then compare each service's
config hash with the container the project already has: equal ones stay, changed ones are
recreated, missing ones created, containers of services no longer in the file removed. The
scheduler starts services as their dependencies allow and waits until each is running and
healthy. On failure or Ctrl-C, everything this `up` created is removed again.

`down`, `ps`, `logs` and `exec` are in operations.py: they find a project's resources by label.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import TypeVar

from toolkit.errors import (
    EngineError,
    Interrupted,
    NameConflict,
    StackError,
    ToolkitError,
)
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerState, NetworkSpec
from toolkit.stack import naming
from toolkit.stack.container_names import check_container_names, fixed_names
from toolkit.stack.converge import Created, converge_networks, remove_containers, remove_networks, undo
from toolkit.stack.dependents import restart_dependents
from toolkit.stack.engine_fit import asks_of_the_engine, check_engine_fit
from toolkit.stack.engine_state import ProjectState, look
from toolkit.stack.fixed_names import check_fixed_names
from toolkit.stack.model import Stack
from toolkit.stack.outcomes import Action, StackEvent, StackEventCallback, UpResult
from toolkit.stack.placement import Placement, Renumbering, check_names, place
from toolkit.stack.plan import Plan, make_plan
from toolkit.stack.safety import check_host_paths, check_safety
from toolkit.stack.scheduler import DEFAULT_WORKERS, Scheduler, ServiceFailed, ServiceWork
from toolkit.stack.service_images import ServiceImage, prepare_images
from toolkit.stack.specs_from_model import (
    ResolvedService,
    check_supported,
    network_spec,
    resolve_service,
    volume_spec,
)

DEFAULT_TIMEOUT = 120.0
T = TypeVar("T")


def validate(stack: Stack) -> Plan:
    """Check what can be checked without an engine and return the plan; raises ConfigError."""
    plan = make_plan(stack)
    for name in plan.service_names:
        check_supported(stack, stack.services[name])
    return plan


@dataclass(frozen=True)
class Checked:
    """A stack that passed everything `up` checks before it asks an engine, as which project."""

    stack: Stack
    project: str
    plan: Plan
    allow_privileged: bool


def preflight(
    stack: Stack,
    *,
    project: str | None = None,
    allow_privileged: bool = False,
    allow_host_paths: bool = False,
) -> Checked:
    """Everything `up` checks before it asks an engine: validate, the project name, then the
    host-access policy (and bind mounts outside the exercise folder). Raises ConfigError or
    UsageError."""
    plan = validate(stack)
    fixed_names(stack, plan.service_names)  # two services, one container_name
    check_safety(stack, allow_privileged=allow_privileged)
    check_host_paths(stack, allow_host_paths=allow_host_paths)
    return Checked(stack, naming.resolve_project(stack, project), plan, allow_privileged)


def up(
    runtime: Runtime,
    stack: Stack,
    *,
    project: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    wait: bool = True,
    keep_on_failure: bool = False,
    allow_privileged: bool = False,
    allow_host_paths: bool = False,
    on_event: StackEventCallback | None = None,
    workers: int = DEFAULT_WORKERS,
    renumbering: Renumbering | None = None,
    elsewhere: Mapping[str, IPv4Network] | None = None,
) -> UpResult:
    """Bring the stack up (or up to date) as `project`; return every service's status.

    Checks the stack first (preflight), then continues as `up_checked`.

    With wait=False, return once every service has started (dependencies are still honoured).
    Services asking for host access run only if the exercise allows it and allow_privileged
    is true (safety.check_safety); bind mounts outside the exercise folder only with
    allow_host_paths (safety.check_host_paths). A project keeps the subnets its networks have; networks to
    create get the declared subnets or, with `renumbering`, free ones of the same sizes
    (placement.py); `elsewhere`: subnets in use beyond this engine, by what holds them
    (elsewhere.py), refused and avoided likewise. Raises ConfigError or UsageError before
    touching the engine, UsageError for a subnet clash (naming both networks and suggesting
    --renumber) before creating anything, StackError naming the service that did not come up
    (with its probe output and log tail), and Interrupted on Ctrl-C, in each case after
    removing what this call created (a failure keeps it with keep_on_failure).
    """
    return up_checked(
        runtime,
        preflight(
            stack, project=project, allow_privileged=allow_privileged, allow_host_paths=allow_host_paths
        ),
        timeout=timeout,
        wait=wait,
        keep_on_failure=keep_on_failure,
        on_event=on_event,
        workers=workers,
        renumbering=renumbering,
        elsewhere=elsewhere,
    )


def up_checked(
    runtime: Runtime,
    checked: Checked,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    wait: bool = True,
    keep_on_failure: bool = False,
    on_event: StackEventCallback | None = None,
    workers: int = DEFAULT_WORKERS,
    renumbering: Renumbering | None = None,
    elsewhere: Mapping[str, IPv4Network] | None = None,
) -> UpResult:
    """`up` of a stack `preflight` checked already (the CLI checks before it opens an engine).

    Long, since it is one transaction: each step adds to what a failure must undo, and the
    except clauses at its end undo it.
    """
    emit = on_event or (lambda event: None)
    stack, project, plan = checked.stack, checked.project, checked.plan
    check_container_names(runtime, project, stack, plan.service_names)
    if any(asks_of_the_engine(stack.services[name]) for name in plan.service_names):
        check_engine_fit(runtime.info(), stack, plan.service_names)  # one more request: only then
    check_fixed_names(
        runtime, project, stack, [n.name for n in plan.networks], [v.name for v in plan.volumes]
    )
    target = _Target(
        runtime, stack, project, naming.exercise_name(stack), plan, renumbering, dict(elsewhere or {})
    )
    seen = target.look()
    placed = target.place(seen, skip=0)
    # Addresses do not change images: they are made once, whatever the retries below.
    images = prepare_images(runtime, stack, plan.service_names, project=project, on_event=on_event)

    created = Created()
    removed: list[str] = []  # containers of services no longer in the file
    try:
        for attempt in itertools.count(1):
            work, obsolete = target.work(placed, seen, images)
            replaced = [seen.containers[n].name for n, w in work.items() if w.action == "recreated"]
            removed += [c.name for c in obsolete]
            remove_containers(runtime, [*replaced, *(c.name for c in obsolete)], emit)
            restart_dependents(runtime, stack, plan, work)
            try:
                converge_networks(runtime, target.created_here(placed.specs), seen.ours, created, emit)
                break
            except EngineError as exc:
                remove_networks(runtime, created)
                seen = target.look()  # another process may have taken a subnet since the listing
                placed = target.after_refusal(exc, seen, placed, attempt)
                emit(StackEvent("cleanup", "", f"the engine refused a network ({exc}): trying other subnets"))
        for volume in plan.volumes:
            spec = volume_spec(project, target.exercise, volume)
            if spec.name not in seen.volumes:
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
            undo(runtime, created, emit)
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
        undo(runtime, created, emit)
        raise Interrupted(f"interrupted: what this up of project {project} had created was removed") from None
    except ToolkitError:
        if not keep_on_failure:
            undo(runtime, created, emit)
        raise

    return UpResult(
        project=project,
        exercise=target.exercise,
        engine=runtime.name,
        services=tuple(statuses[name] for name in plan.service_names),
        networks_created=tuple(created.networks),
        volumes_created=tuple(created.volumes),
        removed=tuple(removed),
        waited=wait,
    )


# ---------------------------------------------------------------- deciding, before creating


@dataclass(frozen=True)
class _Placed:
    """The stack at the project's addresses, and the specs of its networks by Compose key."""

    placement: Placement
    specs: dict[str, NetworkSpec]

    @property
    def stack(self) -> Stack:
        return self.placement.stack


@dataclass(frozen=True)
class _Target:
    """What one `up` works on: the stack, as which project, on which engine."""

    runtime: Runtime
    stack: Stack
    project: str
    exercise: str
    plan: Plan
    renumbering: Renumbering | None
    elsewhere: dict[str, IPv4Network]

    def look(self) -> ProjectState:
        return look(self.runtime, self.project, volumes=bool(self.plan.volumes))

    def place(self, seen: ProjectState, *, skip: int) -> _Placed:
        """Decide the project's subnets and network specs; refuse names and subnets taken."""
        placement = place(
            self.stack, self.project, seen.networks, self.renumbering, skip=skip, elsewhere=self.elsewhere
        )
        networks = placement.stack.networks
        specs = {
            n.name: network_spec(self.project, self.exercise, networks.get(n.name, n))
            for n in self.plan.networks
        }
        check_names(self.project, (spec.name for spec in self.created_here(specs).values()), seen.networks)
        return _Placed(placement, specs)

    def created_here(self, specs: Mapping[str, NetworkSpec]) -> dict[str, NetworkSpec]:
        """The specs of the networks this project creates: all but the external ones."""
        external = {key for key, network in self.stack.networks.items() if network.external}
        return {key: spec for key, spec in specs.items() if key not in external}

    def after_refusal(self, exc: EngineError, seen: ProjectState, placed: _Placed, attempt: int) -> _Placed:
        """The engine refused to create a network: return the next placement to try, or raise.

        Neither engine has a status of its own for a subnet another network holds (Docker
        answers 403 "Pool overlaps ...", Podman 500 "subnet ... is already used"), so any
        EngineError counts, as does a NameConflict from a concurrent `up` of this project; a
        fresh listing (`seen`) settles both.
        """
        if self.renumbering is None:
            # A plain up raced another for the declared subnets: report it as the clash it is.
            place(self.stack, self.project, seen.networks, elsewhere=self.elsewhere)
            raise exc
        if not placed.placement.picked and not isinstance(exc, NameConflict):
            raise exc  # nothing was picked just now: a new pick cannot help
        if attempt >= self.renumbering.attempts:
            raise StackError(
                f"project {self.project}: the engine refused the free subnets picked for it {attempt} "
                f"times (other projects kept taking them), the last time with: {exc}; run up again"
            ) from exc
        return self.place(seen, skip=attempt)

    def work(
        self, placed: _Placed, seen: ProjectState, images: Mapping[str, ServiceImage]
    ) -> tuple[dict[str, ServiceWork], list[ContainerInfo]]:
        """What to do with each service's container, and the containers of services gone."""
        resolved = {
            name: resolve_service(
                placed.stack,
                placed.stack.services[name],
                project=self.project,
                exercise=self.exercise,
                image=images[name].info,
                image_ref=images[name].ref,
                networks=placed.specs,
            )
            for name in self.plan.service_names
        }
        work = {name: _decide(self.plan, resolved[name], seen.containers.get(name)) for name in resolved}
        # A service of a profile not enabled now stays as it is, as in Compose: it is still in the file.
        kept = {*resolved, *self.stack.inactive}
        obsolete = [c for c in seen.containers.values() if c.labels[naming.LABEL_SERVICE] not in kept]
        return work, obsolete


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
