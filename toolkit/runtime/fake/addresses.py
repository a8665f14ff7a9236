"""Subnets and addresses for the in-memory engine, handed out and refused as each engine does.

Measured through labkit's adapters (tests/engine/test_contract_networks.py holds the cases):

- A network without a subnet gets one from the engine's pool: Docker the next free /16 of
  172.17-31.x.x, then /20s of 192.168.x.x (172.17.0.0/16 is its default bridge), Podman the
  next free /24 of 10.89.x.x (10.88.0.0/16 is its default network). The gateway is the first
  host.
- A subnet that overlaps another network's is refused by both, as is a gateway outside it.
- A subnet given without a gateway: Docker reports none, Podman reports the first host.
- Static addresses are checked when the container starts, on both engines: outside the subnet,
  or held by a running container, refused. Docker also refuses the network, broadcast and
  gateway addresses, and any static address on a network whose subnet it chose itself; Podman
  accepts all of those.
- Dynamic addresses count up from the second host, skipping the taken ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network

from toolkit.errors import EngineError
from toolkit.runtime.specs import EngineName, NetworkAttachment, NetworkInfo, NetworkSpec

# The engine's own network, there before any labkit network: its subnet is taken.
DEFAULT_NETWORK: dict[EngineName, tuple[str, IPv4Network]] = {
    "docker": ("bridge", IPv4Network("172.17.0.0/16")),
    "podman": ("podman", IPv4Network("10.88.0.0/16")),
}
_POOLS: dict[EngineName, tuple[tuple[IPv4Network, int], ...]] = {
    "docker": (
        *((IPv4Network(f"172.{second}.0.0/16"), 16) for second in range(17, 32)),
        (IPv4Network("192.168.0.0/16"), 20),
    ),
    "podman": ((IPv4Network("10.89.0.0/16"), 24),),
}


def parse_subnet(text: str, network: str) -> IPv4Network:
    """The subnet as the engines store it: host bits cleared (`10.1.2.7/24` is `10.1.2.0/24`)."""
    try:
        subnet = ip_network(text, strict=False)
    except ValueError as exc:
        raise EngineError(f"creating network {network}: invalid subnet {text}") from exc
    if not isinstance(subnet, IPv4Network):
        raise EngineError(f"creating network {network}: only IPv4 subnets are supported here")
    return subnet


def check_free(subnet: IPv4Network, taken: Iterable[IPv4Network], network: str) -> None:
    """Refuse a subnet that overlaps one in use (Docker: "Pool overlaps", Podman: "already used")."""
    for other in taken:
        if subnet.overlaps(other):
            raise EngineError(f"creating network {network}: subnet {subnet} overlaps {other}, already in use")


def check_gateway(subnet: IPv4Network, gateway: str | None, network: str) -> None:
    if gateway is not None and ip_address(gateway) not in subnet:
        raise EngineError(f"creating network {network}: gateway {gateway} not in subnet {subnet}")


def pick_subnet(flavour: EngineName, taken: Iterable[IPv4Network], network: str) -> IPv4Network:
    """The engine's choice for a network created without a subnet."""
    used = list(taken)
    for pool, prefix in _POOLS[flavour]:
        for candidate in pool.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(other) for other in used):
                return candidate
    raise EngineError(f"creating network {network}: the {flavour} address pools are used up")


def first_host(subnet: IPv4Network) -> str:
    return str(next(subnet.hosts()))


def check_static(
    flavour: EngineName,
    address: str,
    subnet: IPv4Network,
    gateway: str | None,
    *,
    configured: bool,
    taken: set[str],
    network: str,
) -> None:
    """Refuse a static address the way the engine refuses it when the container starts."""
    where = f"network {network}"
    try:
        wanted = IPv4Address(address)
    except ValueError as exc:
        raise EngineError(f"invalid address {address} on {where}") from exc
    if wanted not in subnet:
        raise EngineError(f"requested address {address} is not in subnet {subnet} of {where}")
    if address in taken:
        raise EngineError(f"address {address} on {where} is already in use")
    if flavour == "docker":
        if not configured:
            raise EngineError(
                f"a static address is supported only on networks with a configured subnet ({where})"
            )
        reserved = {
            subnet.network_address,
            subnet.broadcast_address,
            IPv4Address(gateway or first_host(subnet)),
        }
        if wanted in reserved:
            raise EngineError(f"address {address} on {where} is already in use")


def next_address(subnet: IPv4Network, gateway: str | None, taken: set[str], network: str) -> str:
    """The next free address, from the second host up (the first is the default gateway)."""
    skip = {gateway or first_host(subnet)} | taken
    for host in itertools.islice(subnet.hosts(), 1, None):
        if str(host) not in skip:
            return str(host)
    raise EngineError(f"network {network} has no free address left")


def new_network(
    flavour: EngineName, spec: NetworkSpec, network_id: str, taken: Sequence[IPv4Network]
) -> NetworkInfo:
    """The network the engine makes of `spec`, or the engine's refusal; `taken`: subnets in use."""
    gateway = spec.gateway
    if spec.subnet:
        subnet = parse_subnet(spec.subnet, spec.name)
        check_gateway(subnet, gateway, spec.name)
        check_free(subnet, taken, spec.name)
        if gateway is None and flavour == "podman":
            gateway = first_host(subnet)
    else:
        if gateway is not None:
            raise EngineError(f"creating network {spec.name}: a gateway needs a subnet")
        subnet = pick_subnet(flavour, taken, spec.name)
        gateway = first_host(subnet)
    return NetworkInfo(network_id, spec.name, str(subnet), gateway, spec.internal, dict(spec.labels))


def assign(
    flavour: EngineName,
    attachments: Sequence[NetworkAttachment],
    networks: Mapping[str, NetworkInfo],
    configured: Collection[str],
    in_use: Mapping[str, set[str]],
) -> dict[str, str]:
    """Each attachment's address (network name -> address) as the engine gives it at start.

    `configured` names the networks whose subnet was given at creation, `in_use` the addresses
    running containers hold on each network.
    """
    chosen: dict[str, str] = {}
    for attachment in attachments:
        network = networks[attachment.network]
        subnet = IPv4Network(network.subnet or "0.0.0.0/0")
        taken = set(in_use.get(network.name, set()))
        if network.name in chosen:
            taken.add(chosen[network.name])
        if attachment.ipv4_address:
            check_static(
                flavour,
                attachment.ipv4_address,
                subnet,
                network.gateway,
                configured=network.name in configured,
                taken=taken,
                network=network.name,
            )
            chosen[network.name] = attachment.ipv4_address
        else:
            chosen[network.name] = next_address(subnet, network.gateway, taken, network.name)
    return chosen
