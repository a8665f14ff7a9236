"""Checks across the whole file, run once every part has been read.

Names must refer to things declared in the file, static addresses must fit their network and
not clash, subnets must not overlap and dependencies must not loop. The first problem found
is raised, at the line of the key that causes it (from the lines the readers recorded).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable

from toolkit.stack.compose.fields import LoadContext
from toolkit.stack.model import Network, Stack


def validate_stack(stack: Stack, ctx: LoadContext) -> None:
    """Raise ConfigError at the first cross-reference problem of `stack`."""
    _subnets_apart(stack, ctx)
    used: dict[tuple[str, ipaddress.IPv4Address], str] = {}
    for service in stack.services.values():
        base = f"services.{service.name}"
        for attachment in service.networks:
            path = f"{base}.networks.{attachment.network}"
            network = stack.networks.get(attachment.network)
            if network is None:
                raise ctx.error(
                    f"service {service.name!r} attaches to network {attachment.network!r}, "
                    "which the top-level 'networks' does not declare"
                    + _did_you_mean(attachment.network, stack.networks),
                    path,
                )
            if attachment.ipv4_address is not None:
                address = ipaddress.IPv4Address(attachment.ipv4_address)
                _address_fits(address, network, f"{path}.ipv4_address", ctx)
                other = used.setdefault((network.name, address), service.name)
                if other != service.name:
                    raise ctx.error(
                        f"ipv4_address {address} is already given to service {other!r} "
                        f"on network {network.name!r}",
                        f"{path}.ipv4_address",
                    )
        for index, mount in enumerate(service.volumes):
            if mount.type == "volume" and mount.source and mount.source not in stack.volumes:
                raise ctx.error(
                    f"service {service.name!r} mounts volume {mount.source!r}, which the "
                    "top-level 'volumes' does not declare" + _did_you_mean(mount.source, stack.volumes),
                    f"{base}.volumes[{index}]",
                )
        for dependency in service.depends_on:
            if dependency.service not in stack.services:
                raise ctx.error(
                    f"service {service.name!r} depends on {dependency.service!r}, "
                    "which is not a service of this file" + _did_you_mean(dependency.service, stack.services),
                    f"{base}.depends_on.{dependency.service}",
                )
        mode = service.network_mode or ""
        if mode.startswith("service:") and mode[len("service:") :] not in stack.services:
            raise ctx.error(
                f"network_mode names service {mode[len('service:') :]!r}, "
                "which is not a service of this file",
                f"{base}.network_mode",
            )
    _no_cycles(stack, ctx)
    _exercise_services(stack, ctx)


def _subnets_apart(stack: Stack, ctx: LoadContext) -> None:
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    for network in stack.networks.values():
        if network.subnet is None:
            continue
        subnet = ipaddress.IPv4Network(network.subnet)
        for other, other_subnet in seen:
            if subnet.overlaps(other_subnet):
                raise ctx.error(
                    f"subnet {subnet} of network {network.name!r} overlaps subnet "
                    f"{other_subnet} of network {other!r}",
                    f"networks.{network.name}.ipam.config[0].subnet",
                )
        seen.append((network.name, subnet))


def _address_fits(address: ipaddress.IPv4Address, network: Network, path: str, ctx: LoadContext) -> None:
    if network.subnet is None:
        raise ctx.error(
            f"a static ipv4_address needs a subnet on network {network.name!r}: "
            f"set networks.{network.name}.ipam.config[0].subnet",
            path,
        )
    subnet = ipaddress.IPv4Network(network.subnet)
    if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
        raise ctx.error(
            f"ipv4_address {address} is outside the subnet {subnet} of network {network.name!r}",
            path,
        )
    # Both engines give the gateway, by default the first address, to the host side.
    gateway = ipaddress.IPv4Address(network.gateway) if network.gateway else subnet[1]
    if address == gateway:
        raise ctx.error(f"ipv4_address {address} is the gateway of network {network.name!r}", path)


def _no_cycles(stack: Stack, ctx: LoadContext) -> None:
    done: set[str] = set()
    for start in stack.services:
        trail: list[str] = []
        on_trail: set[str] = set()
        # An explicit stack of (service, next dependency index): no recursion limit to hit.
        pending: list[tuple[str, int]] = [(start, 0)]
        while pending:
            name, index = pending.pop()
            if index == 0:
                if name in done:
                    continue
                trail.append(name)
                on_trail.add(name)
            targets = [d.service for d in stack.services[name].depends_on if d.service in stack.services]
            if index < len(targets):
                pending.append((name, index + 1))
                target = targets[index]
                if target in on_trail:
                    cycle = [*trail[trail.index(target) :], target]
                    raise ctx.error(
                        "dependency cycle: " + " -> ".join(cycle),
                        f"services.{name}.depends_on.{target}",
                    )
                pending.append((target, 0))
            else:
                trail.pop()
                on_trail.discard(name)
                done.add(name)


def _exercise_services(stack: Stack, ctx: LoadContext) -> None:
    for index, check in enumerate(stack.exercise.checks):
        if check.probe is not None and check.probe not in stack.networks:
            raise ctx.error(
                f"check probes from network {check.probe!r}, which the top-level 'networks' does not "
                "declare" + _did_you_mean(check.probe, stack.networks),
                f"x-labkit.checks[{index}].probe",
            )
    places = [
        (f"x-labkit.checks[{index}]", "check", check.service)
        for index, check in enumerate(stack.exercise.checks)
        if check.probe is None
    ]
    places += [
        (f"x-labkit.solution[{index}]", "solution step", step.service)
        for index, step in enumerate(stack.exercise.solution)
    ]
    for path, what, service in places:
        if service not in stack.services:
            raise ctx.error(
                f"{what} names service {service!r}, which is not a service of this file"
                + _did_you_mean(service, stack.services),
                f"{path}.service",
            )


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
