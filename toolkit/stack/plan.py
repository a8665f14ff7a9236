"""The order in which a stack comes up: networks and volumes first, then services by dependency.

Pure: no engine. `make_plan` resolves what Compose leaves implicit (the `default` network of a
service that names none, optional dependencies on absent services) and finds the dependency
waves: a service's wave is one more than the deepest wave it depends on. The orchestrator does
not run waves in lockstep: it starts a service as soon as its own dependencies are met, so the
waves are for display (`labkit validate`) and for the order of equals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from toolkit.errors import ConfigError
from toolkit.stack.model import Dependency, Network, Service, ServiceNetwork, Stack, Volume
from toolkit.stack.naming import DEFAULT_NETWORK


@dataclass(frozen=True)
class ServiceStep:
    """One service in start order, with the dependencies that really apply to it."""

    name: str
    wave: int
    needs: tuple[Dependency, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What `up` creates, in order."""

    networks: tuple[Network, ...]
    volumes: tuple[Volume, ...]
    services: tuple[ServiceStep, ...]  # in start order: by wave, then as declared

    def step(self, service: str) -> ServiceStep:
        for step in self.services:
            if step.name == service:
                return step
        raise KeyError(service)

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.services)

    def waves(self) -> tuple[tuple[str, ...], ...]:
        """Service names grouped by wave: each wave needs only the waves before it."""
        count = max((step.wave for step in self.services), default=-1) + 1
        return tuple(tuple(step.name for step in self.services if step.wave == wave) for wave in range(count))

    def awaited_conditions(self, service: str) -> frozenset[str]:
        """Every condition some other service waits for on `service`."""
        return frozenset(d.condition for s in self.services for d in s.needs if d.service == service)


def service_networks(service: Service) -> tuple[ServiceNetwork, ...]:
    """The networks a service joins: those it names, else Compose's `default` network."""
    if service.networks or service.network_mode is not None:
        return service.networks
    return (ServiceNetwork(DEFAULT_NETWORK),)


def active_services(stack: Stack) -> dict[str, Service]:
    """The services Compose would start: all of the stack's, since the loader keeps only the
    services of the enabled profiles (compose/profiles.py)."""
    return dict(stack.services)


def make_plan(stack: Stack) -> Plan:
    """Order the stack's resources for `up`; raise ConfigError for what cannot be ordered.

    Raises ConfigError for a required dependency on an absent service, a dependency cycle and a
    reference to an undeclared network or volume.
    """
    file = str(stack.file)
    services = active_services(stack)
    needs = {name: _effective_needs(file, service, services) for name, service in services.items()}
    waves = _waves(file, needs)
    declared = {name: index for index, name in enumerate(services)}
    order = sorted(services, key=lambda name: (waves[name], declared[name]))
    steps = tuple(ServiceStep(name, waves[name], needs[name]) for name in order)
    return Plan(
        networks=_networks(file, stack, services),
        volumes=_volumes(file, stack, services),
        services=steps,
    )


def _effective_needs(file: str, service: Service, services: Mapping[str, Service]) -> tuple[Dependency, ...]:
    kept = []
    for dependency in service.depends_on:
        if dependency.service in services:
            kept.append(dependency)
        elif dependency.required:
            raise ConfigError(
                f"depends on {dependency.service!r}, which is not a service of this stack "
                f"(services: {', '.join(services) or 'none'}); fix the name or set required: false",
                file=file,
                key_path=f"services.{service.name}.depends_on",
            )
    return tuple(kept)


def _waves(file: str, needs: Mapping[str, tuple[Dependency, ...]]) -> dict[str, int]:
    waves: dict[str, int] = {}
    visiting: list[str] = []

    def wave_of(name: str) -> int:
        if name in waves:
            return waves[name]
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ConfigError(
                f"dependency cycle: {' -> '.join(cycle)}; remove one of these depends_on entries",
                file=file,
                key_path=f"services.{name}.depends_on",
            )
        visiting.append(name)
        wave = 1 + max((wave_of(d.service) for d in needs[name]), default=-1)
        visiting.pop()
        waves[name] = wave
        return wave

    for name in needs:
        wave_of(name)
    return waves


def _networks(file: str, stack: Stack, services: Mapping[str, Service]) -> tuple[Network, ...]:
    used: dict[str, None] = {}
    for service in services.values():
        for attachment in service_networks(service):
            if attachment.network not in stack.networks and attachment.network != DEFAULT_NETWORK:
                raise ConfigError(
                    f"network {attachment.network!r} is not declared under the top-level "
                    f"networks (declared: {', '.join(stack.networks) or 'none'})",
                    file=file,
                    key_path=f"services.{service.name}.networks",
                )
            used[attachment.network] = None
    # Declared networks come up even when unused, as Compose does; `default` only when used.
    names = list(stack.networks) + [n for n in used if n not in stack.networks]
    return tuple(stack.networks.get(name) or Network(name) for name in names)


def _volumes(file: str, stack: Stack, services: Mapping[str, Service]) -> tuple[Volume, ...]:
    for service in services.values():
        for mount in service.volumes:
            if mount.type == "volume" and mount.source and mount.source not in stack.volumes:
                raise ConfigError(
                    f"volume {mount.source!r} is not declared under the top-level volumes "
                    f"(declared: {', '.join(stack.volumes) or 'none'})",
                    file=file,
                    key_path=f"services.{service.name}.volumes",
                )
    return tuple(stack.volumes.values())
