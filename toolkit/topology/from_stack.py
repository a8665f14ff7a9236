"""Draw what a Compose file declares: networks, services, their interfaces and addresses.

Interfaces are numbered eth0, eth1, ... by network name, as Compose v2 and Docker number them
(Podman 4 follows the written order today: a running project drawn with `from_engine` shows
what each engine really did). A renumbered project is drawn by applying its mapping to the
stack first (`apply_renumbering`).
"""

from __future__ import annotations

from toolkit.stack.model import Service, Stack
from toolkit.stack.plan import active_services, service_networks
from toolkit.topology.model import Interface, NetworkNode, PublishedPort, ServiceNode, Topology

IP_FORWARD_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding")


def topology_from_stack(stack: Stack, project: str | None = None) -> Topology:
    """The picture of a loaded stack, with the addresses it holds (apply a mapping first)."""
    services = tuple(service_node(service, stack) for service in active_services(stack).values())
    return Topology(
        project=project or stack.name,
        title=stack.exercise.title,
        networks=tuple(
            NetworkNode(key, network.subnet, network.gateway, network.internal)
            for key, network in stack.networks.items()
        ),
        services=services,
        source="file",
    )


def service_node(service: Service, stack: Stack) -> ServiceNode:
    """One service as the file declares it."""
    ordered = sorted(service_networks(service), key=lambda attachment: attachment.network)
    interfaces = tuple(
        Interface(attachment.network, f"eth{index}", attachment.ipv4_address)
        for index, attachment in enumerate(ordered)
    )
    return ServiceNode(
        name=service.name,
        hostname=service.hostname or service.name,
        image=image_label(service, stack),
        interfaces=interfaces,
        forwards_ipv4=declares_forwarding(service),
        # Every `ports:` entry publishes; without a host port the engine picks one at start.
        ports=tuple(
            PublishedPort(port.target, port.protocol, port.published, port.host_ip) for port in service.ports
        ),
    )


def declares_forwarding(service: Service) -> bool:
    return any(service.sysctls.get(key, "").strip() == "1" for key in IP_FORWARD_SYSCTLS)


def image_label(service: Service, stack: Stack) -> str:
    if service.image:
        return service.image
    if service.build is not None:
        try:
            context = service.build.context.relative_to(stack.folder)
        except ValueError:
            context = service.build.context
        return f"built from ./{context}" if str(context) != "." else "built from ./"
    return "(no image)"
