"""Draw a running project as the engine has it: its subnets, addresses and interface names.

The exercise file still says which services and networks there are, their host names and
which service routes (its `net.ipv4.ip_forward` sysctl: inside a container the flag itself says
nothing, as containers here inherit the host's 1); the engine says what was actually assigned:
each network's subnet and gateway, each container's image, addresses and published ports. The
interface names are read inside each running container (one short exec per service), because
no engine API reports which eth a network became.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from toolkit.errors import ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, NetworkInfo
from toolkit.stack import naming
from toolkit.stack.model import Stack
from toolkit.stack.placement import project_subnets
from toolkit.stack.renumber import apply_renumbering, recover_mapping
from toolkit.topology.from_stack import topology_from_stack
from toolkit.topology.model import Interface, NetworkNode, PublishedPort, ServiceNode, Topology

# One line per IPv4 address: "2: eth0@if9    inet 10.1.2.3/24 brd ...".
INTERFACE_PROBE = ("ip", "-o", "-4", "addr", "show")
PROBE_TIMEOUT = 10.0
_ADDRESS_LINE = re.compile(r"^\d+:\s+(?P<name>[^\s@:]+)(?:@\S+)?\s+inet\s+(?P<address>[\d.]+)/\d+")


def topology_from_engine(runtime: Runtime, stack: Stack, project: str) -> Topology:
    """The project as it runs on `runtime`; as the file declares it when it is not up.

    Raises:
        UsageError: a network of the project has another size than the exercise declares.
    """
    networks = runtime.list_networks(naming.project_selector(project))
    declared = topology_from_stack(_renumbered(stack, project, networks), project)
    containers = runtime.list_containers(naming.stack_container_selector(project))
    if not containers:
        return declared
    by_key = {info.labels.get(naming.LABEL_NETWORK, ""): info for info in networks}
    by_service = {info.labels.get(naming.LABEL_SERVICE, ""): info for info in containers}
    return replace(
        declared,
        networks=tuple(_network(node, by_key.get(node.name)) for node in declared.networks),
        services=tuple(
            _service(runtime, node, by_service[node.name], project) if node.name in by_service else node
            for node in declared.services
        ),
        source="engine",
        engine=runtime.name,
    )


def project_stack(runtime: Runtime, stack: Stack, project: str) -> Stack:
    """The stack with the addresses `project` has on `runtime` (renumbered or declared)."""
    return _renumbered(stack, project, runtime.list_networks(naming.project_selector(project)))


def _renumbered(stack: Stack, project: str, networks: list[NetworkInfo]) -> Stack:
    named = replace(stack, name=project)
    return apply_renumbering(named, recover_mapping(named, project_subnets(networks, project)))


def _network(declared: NetworkNode, found: NetworkInfo | None) -> NetworkNode:
    if found is None:
        return declared
    return NetworkNode(declared.name, found.subnet or declared.subnet, found.gateway, found.internal)


def _service(runtime: Runtime, declared: ServiceNode, info: ContainerInfo, project: str) -> ServiceNode:
    prefix = f"{project}-"
    addresses = {name.removeprefix(prefix): ip for name, ip in info.ips.items() if ip}
    names = _interface_names(runtime, info) if info.running else {}
    network_of = {ip: key for key, ip in addresses.items()}
    legs = [
        Interface(network_of[address], name, address)
        for name, address in names.items()
        if address in network_of
    ]
    seen = {leg.network for leg in legs}
    # Networks whose interface could not be read keep the predicted name, with the real address.
    legs += [
        Interface(leg.network, leg.name, addresses.get(leg.network, leg.address))
        for leg in declared.interfaces
        if leg.network not in seen
    ]
    return replace(
        declared,
        image=info.image if info.image and not info.image.startswith("sha256:") else declared.image,
        interfaces=tuple(sorted(legs, key=lambda leg: _natural(leg.name))),
        ports=tuple(
            PublishedPort(port.container_port, port.protocol, port.host_port, port.host_ip)
            for port in info.ports
        )
        or declared.ports,
    )


def _interface_names(runtime: Runtime, info: ContainerInfo) -> Mapping[str, str]:
    """Interface name -> IPv4 address inside the container; {} when that cannot be read."""
    try:
        result = runtime.exec(info.id, INTERFACE_PROBE, timeout=PROBE_TIMEOUT)
    except ToolkitError:
        return {}  # gone or stopped meanwhile: the engine's addresses still hold
    return parse_addresses(result.stdout) if result.ok else {}


def parse_addresses(output: str) -> dict[str, str]:
    """Read `ip -o -4 addr show`: interface name -> its first IPv4 address, loopback left out."""
    names: dict[str, str] = {}
    for line in output.splitlines():
        match = _ADDRESS_LINE.match(line.strip())
        if match and match.group("name") != "lo":
            names.setdefault(match.group("name"), match.group("address"))
    return names


def _natural(name: str) -> tuple[str, int]:
    """eth2 before eth10."""
    match = re.match(r"^(.*?)(\d+)$", name)
    return (match.group(1), int(match.group(2))) if match else (name, -1)
