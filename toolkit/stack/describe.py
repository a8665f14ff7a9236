"""What `labkit describe` shows: an exercise's text with the addresses one project uses.

Describe the stack after renumbering (`renumber.apply_renumbering` with the project's mapping)
and the title, text, subnets and addresses are those of that project. `describe_project` does
that for a project on an engine: a renumbered project's mapping is rebuilt from the subnets its
networks have there; a project that is not up is described with the declared addresses.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.interfaces import in_interface_order, interface_names, internal_keys
from toolkit.stack.model import Service, Stack
from toolkit.stack.placement import project_subnets
from toolkit.stack.renumber import apply_renumbering, recover_mapping


@dataclass(frozen=True)
class NetworkDescription:
    name: str  # the Compose key
    subnet: str | None  # None: the engine picks one when the stack starts
    gateway: str | None
    internal: bool = False


@dataclass(frozen=True)
class ServiceAddress:
    network: str  # the Compose key
    address: str | None  # None: the engine assigns one when the stack starts
    interface: str = ""  # the service's interface on it: eth0, eth1, ... (interfaces.py)


@dataclass(frozen=True)
class ServiceDescription:
    name: str
    hostname: str  # the declared hostname, else the service name
    addresses: tuple[ServiceAddress, ...] = ()


@dataclass(frozen=True)
class ExerciseDescription:
    project: str
    title: str
    description: str
    networks: tuple[NetworkDescription, ...]
    services: tuple[ServiceDescription, ...]
    checks: tuple[str, ...]  # check names, in file order
    solution_steps: int
    engine: str | None = None  # the engine asked about the project; None: none was
    up: bool | None = None  # whether the project has containers there; None: not known
    renumbered: bool = False  # its networks have other subnets than the declared ones
    student: str | None = None  # whose variant this is, when the exercise has parameters
    values: tuple[tuple[str, str], ...] = ()  # that student's parameter values, renumbered too


def describe_project(
    runtime: Runtime | None,
    stack: Stack,
    project: str,
    *,
    student: str | None = None,
    values: Mapping[str, str] | None = None,
) -> ExerciseDescription:
    """Describe the exercise as `project` has it on `runtime` (declared, when runtime is None).

    Raises:
        UsageError: a network of the project has another size than the exercise declares.
    """
    named = replace(stack, name=project)
    values = values or {}
    if runtime is None:
        return replace(describe_exercise(named), student=student, values=tuple(values.items()))
    selector = naming.project_selector(project)
    mapping = recover_mapping(named, project_subnets(runtime.list_networks(selector), project))
    containers = runtime.list_containers(naming.stack_container_selector(project))
    return replace(
        describe_exercise(apply_renumbering(named, mapping)),
        engine=runtime.name,
        up=bool(containers),
        renumbered=bool(mapping.subnets),
        student=student,
        values=tuple((name, mapping.map_address(value)) for name, value in values.items()),
    )


def describe_exercise(stack: Stack) -> ExerciseDescription:
    """Collect what a student needs to read about the exercise, in the file's order."""
    networks = tuple(
        NetworkDescription(key, network.subnet, network.gateway, network.internal)
        for key, network in stack.networks.items()
    )
    services = tuple(
        ServiceDescription(
            name=key,
            hostname=service.hostname or key,
            addresses=_addresses(stack, service),
        )
        for key, service in stack.services.items()
    )
    return ExerciseDescription(
        project=stack.name,
        title=stack.exercise.title,
        description=stack.exercise.description,
        networks=networks,
        services=services,
        checks=tuple(check.name for check in stack.exercise.checks),
        solution_steps=len(stack.exercise.solution),
    )


def format_description(description: ExerciseDescription, columns: int | None = None) -> str:
    """Lay the description out as plain text, one block per part, for the CLI to print.

    With `columns` (a terminal's width), the exercise's text and the list of checks are wrapped to it
    between words; without, they keep their own lines.
    """
    title = description.title or "(untitled exercise)"
    heading = f"{title} ({_whose(description)})"
    lines = [textwrap.fill(heading, columns, subsequent_indent="  ") if columns else heading]
    if description.description:
        text = description.description.rstrip()
        lines += ["", reflow(text, columns) if columns else text]
    if description.values:
        lines += ["", f"Your values (student {description.student}):"]
        width = max(len(name) for name, _ in description.values)
        lines += [f"  {name:<{width}}  {value}" for name, value in description.values]
    if description.networks:
        lines += ["", "Networks:"]
        width = max(len(network.name) for network in description.networks)
        lines += [f"  {network.name:<{width}}  {_network_line(network)}" for network in description.networks]
    if description.services:
        lines += ["", "Services:"]
        width = max(len(service.name) for service in description.services)
        lines += [f"  {service.name:<{width}}  {_service_line(service)}" for service in description.services]
    lines.append("")
    if description.checks:
        checks = f"Checks ({len(description.checks)}): {', '.join(description.checks)}"
        lines.append(textwrap.fill(checks, columns, subsequent_indent="  ") if columns else checks)
    else:
        lines.append("Checks: none")
    steps = description.solution_steps
    lines.append(f"Solution: {steps} step{'' if steps == 1 else 's'}" if steps else "Solution: none")
    return "\n".join(lines) + "\n"


def reflow(text: str, width: int) -> str:
    """Wrap prose to `width` between words, paragraph by paragraph.

    A paragraph whose lines are a list or indented (a command, a table) keeps its lines; each
    too long one is wrapped on its own, under its own indent.
    """
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.splitlines()
        if any(line[:1] in (" ", "\t", "-", "*", "$") for line in lines):
            for line in lines:
                indent = " " * (len(line) - len(line.lstrip()) + (2 if line.lstrip()[:1] in "-*" else 0))
                out.append(textwrap.fill(line, width, subsequent_indent=indent) if line.strip() else "")
        else:
            out.append(textwrap.fill(" ".join(line.strip() for line in lines), width))
        out.append("")
    return "\n".join(out).rstrip("\n")


def _whose(description: ExerciseDescription) -> str:
    parts = [f"project {description.project}"]
    if description.engine is not None:
        if description.up:
            parts.append(f"up on {description.engine}")
        else:
            parts.append(f"not up on {description.engine}")
        if description.renumbered:
            parts.append("renumbered")
        elif not description.up:
            parts.append("declared addresses")
    return ", ".join(parts)


def _network_line(network: NetworkDescription) -> str:
    parts = [network.subnet or "subnet chosen by the engine"]
    if network.gateway:
        parts.append(f"gateway {network.gateway}")
    if network.internal:
        parts.append("internal")
    return ", ".join(parts)


def _addresses(stack: Stack, service: Service) -> tuple[ServiceAddress, ...]:
    """The service's addresses in interface order, each with its interface's name."""
    internal = internal_keys(stack.networks)
    names = interface_names(service.networks, internal)
    return tuple(
        ServiceAddress(attachment.network, attachment.ipv4_address, names[attachment.network])
        for attachment in in_interface_order(service.networks, internal)
    )


def _service_line(service: ServiceDescription) -> str:
    where = ", ".join(
        " ".join(filter(None, (address.interface, address.network)))
        + f" {address.address or '(address chosen by the engine)'}"
        for address in service.addresses
    )
    hostname = "" if service.hostname == service.name else f"hostname {service.hostname}; "
    return hostname + (where or "no network")
