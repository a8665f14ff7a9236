"""Where each pod sits on the lab's networks: interface names, static addresses, bridge names.

Kubernetes has no engine that hands out addresses on a lab network, so every attachment gets a
static address here: the one the service declares, else the next free host of the subnet (the
gateway, declared addresses and those handed out before skipped), in the file's order, as an
engine's IPAM would. The pod's first interface (eth0) is the cluster's; lab interfaces are named
after their network (`lan1`), which is what a student sees in `ip addr`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from toolkit.errors import UsageError
from toolkit.stack.model import Stack

# Linux interface names hold at most 15 characters (IFNAMSIZ - 1).
MAX_INTERFACE = 15
_INTERFACE = re.compile(r"[^a-zA-Z0-9_.-]")


@dataclass(frozen=True)
class Attachment:
    """One lab interface of one pod."""

    network: str  # the Compose key
    interface: str
    address: IPv4Address
    subnet: IPv4Network

    @property
    def cidr(self) -> str:
        return f"{self.address}/{self.subnet.prefixlen}"


def network_subnet(stack: Stack, key: str) -> IPv4Network:
    """The subnet of a lab network; raises UsageError when it has none (Kubernetes needs one)."""
    subnet = stack.networks[key].subnet
    if not subnet:
        raise UsageError(
            f"{stack.file}: network {key!r} has no subnet, and a Kubernetes lab network needs "
            f"static addresses: give it one (networks.{key}.ipam.config[0].subnet)"
        )
    return ipaddress.ip_network(subnet, strict=False)  # type: ignore[return-value]


def interface_name(network: str) -> str:
    """A Linux interface name for a lab network: its key, cut to 15 characters."""
    cleaned = _INTERFACE.sub("-", network)[:MAX_INTERFACE]
    return "net0" if cleaned in ("", "eth0", "lo") else cleaned


def bridge_name(namespace: str, network: str) -> str:
    """The node's bridge of one network of one namespace: unique, at most 15 characters."""
    digest = hashlib.sha256(f"{namespace}/{network}".encode()).hexdigest()
    return f"lk-{digest[:12]}"


def plan_attachments(stack: Stack) -> dict[str, tuple[Attachment, ...]]:
    """Every service's lab interfaces with their addresses, in the file's order.

    Raises:
        UsageError: a network has no subnet, a subnet has no address left, two interfaces of
            one service would get the same name.
    """
    taken: dict[str, set[IPv4Address]] = {}
    for key in stack.networks:
        subnet = network_subnet(stack, key) if _used(stack, key) else None
        if subnet is None:
            continue
        gateway = stack.networks[key].gateway
        taken[key] = {IPv4Address(gateway)} if gateway else {next(subnet.hosts())}
    for service in stack.services.values():
        for attachment in service.networks:
            if attachment.ipv4_address:
                taken[attachment.network].add(IPv4Address(attachment.ipv4_address))
    plan: dict[str, tuple[Attachment, ...]] = {}
    for name, service in stack.services.items():
        found: list[Attachment] = []
        for attachment in service.networks:
            subnet = network_subnet(stack, attachment.network)
            if attachment.ipv4_address:
                address = IPv4Address(attachment.ipv4_address)
            else:
                address = _next_free(subnet, taken[attachment.network], stack, attachment.network)
                taken[attachment.network].add(address)
            interface = interface_name(attachment.network)
            if any(other.interface == interface for other in found):
                raise UsageError(
                    f"{stack.file}: service {name!r}: networks {attachment.network!r} and another "
                    f"would both be interface {interface!r}: give them names that differ in "
                    f"their first {MAX_INTERFACE} characters"
                )
            found.append(Attachment(attachment.network, interface, address, subnet))
        plan[name] = tuple(found)
    return plan


def _used(stack: Stack, key: str) -> bool:
    return any(a.network == key for s in stack.services.values() for a in s.networks)


def _next_free(subnet: IPv4Network, taken: set[IPv4Address], stack: Stack, key: str) -> IPv4Address:
    for address in subnet.hosts():
        if address not in taken:
            return address
    raise UsageError(f"{stack.file}: network {key!r} ({subnet}) has no free address left")
