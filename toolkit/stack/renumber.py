"""Give one project its own subnets, and rewrite every address of the stack with one mapping.

`labkit up EXERCISE -p alice --renumber` runs a copy of an exercise next to other copies on one
engine. The exercise declares fixed subnets (10.10.1.0/24, ...) that every copy would share, so
each renumbered project gets free subnets of the same sizes from a pool (`--subnet-pool`, then
`LABKIT_SUBNET_POOL`, then 10.128.0.0/9), keeps every host part, and the whole model is rewritten
with that mapping: static IPs, subnets and gateways, and each address literal of a renumbered
subnet in environment values, commands, entrypoints, healthchecks, extra_hosts, dns, checks,
solution steps and the exercise text.

`placement.place` decides a project's subnets with these functions and `orchestrator.up`
creates its networks, retrying with the next `skip` when the engine refuses a subnet that
another process took between listing and creating.

Concurrency: thirty labkit processes renumbering at once all see the same free subnets. The
search for each project therefore starts at an offset derived from a hash of the project name
and `skip`, so two projects rarely pick the same subnet, and a retry with the next `skip` jumps
to an unrelated place in the pool instead of walking alongside the rival it just collided with.
Within one project the subnets are taken one after the other from that start, so a project's
networks stay next to each other (lan1 -> 10.143.5.0/24, lan2 -> 10.143.6.0/24).

To show a running project's addresses (`labkit describe -p alice`), rebuild its mapping from the
subnets its networks have on the engine with `recover_mapping`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network

from toolkit.errors import ToolkitError, UsageError
from toolkit.runtime.specs import HealthcheckSpec, NetworkInfo
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, SolutionStep, Stack

DEFAULT_POOL = IPv4Network("10.128.0.0/9")
POOL_ENV = "LABKIT_SUBNET_POOL"

# An IPv4 literal, optionally followed by a /prefix. The dots may be regex-escaped ("10\.10\.1\.1")
# because checks grep for addresses and `expect_output` is a regex. The lookarounds make the match
# token-exact: no digit or "digit." before it, no digit or ".digit" after it, so 10.10.1.1 matches
# neither inside 10.10.1.10 nor inside 110.10.1.1, yet a sentence may end right after an address.
_SEP = r"(?:\\\.|\.)"
_OCTET = r"\d{1,3}"
_ADDRESS_LITERAL = re.compile(
    rf"(?<!\d)(?<!\d\.)(?<!\d\\\.)"
    rf"(?P<address>{_OCTET}{_SEP}{_OCTET}{_SEP}{_OCTET}{_SEP}{_OCTET})"
    rf"(?!{_SEP}?\d)"
    rf"(?:/(?P<prefix>\d{{1,2}})(?!{_SEP}?\d))?"
)
_SEP_SPLIT = re.compile(_SEP)


@dataclass(frozen=True)
class SubnetMapping:
    """Old subnet -> new subnet of the same size; maps addresses keeping their host part."""

    subnets: Mapping[IPv4Network, IPv4Network] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for old, new in self.subnets.items():
            if old.prefixlen != new.prefixlen:
                raise ValueError(f"cannot map {old} to {new}: the sizes differ")

    def map_ip(self, address: IPv4Address) -> IPv4Address:
        """Return the address moved into its subnet's new subnet, or itself if not renumbered."""
        old = self._subnet_of(address)
        if old is None:
            return address
        return self.subnets[old].network_address + (int(address) - int(old.network_address))

    def map_address(self, text: str) -> str:
        """Map one address written as text ("10.10.1.5"); anything else comes back unchanged."""
        try:
            address = IPv4Address(text.strip())
        except ValueError:
            return text
        return str(self.map_ip(address))

    def map_subnet(self, text: str) -> str:
        """Map one subnet written as CIDR text ("10.10.1.0/24"); anything else is unchanged."""
        try:
            subnet = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return text
        if not isinstance(subnet, IPv4Network) or subnet not in self.subnets:
            return text
        return str(self.subnets[subnet])

    def map_text(self, text: str) -> str:
        """Rewrite every address (or CIDR) literal of a renumbered subnet found in free text."""
        if not self.subnets:
            return text
        return _ADDRESS_LITERAL.sub(self._replace_literal, text)

    def map_argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        """Rewrite every element of a command line."""
        return tuple(self.map_text(arg) for arg in argv)

    def _replace_literal(self, match: re.Match[str]) -> str:
        literal = match.group("address")
        try:
            address = IPv4Address(".".join(_SEP_SPLIT.split(literal)))
        except ValueError:
            return match.group(0)  # 999.1.1.1 or a leading zero: not an address, leave it
        old = self._subnet_of(address)
        prefix = match.group("prefix")
        # A CIDR wider than the renumbered subnet (10.10.0.0/16 around 10.10.1.0/24) is not
        # inside it: moving its address alone would make a wrong network, so leave it.
        if old is None or (prefix is not None and int(prefix) < old.prefixlen):
            return match.group(0)
        separator = "\\." if "\\" in literal else "."
        new = separator.join(str(self.map_ip(address)).split("."))
        return new if prefix is None else f"{new}/{prefix}"

    def _subnet_of(self, address: IPv4Address) -> IPv4Network | None:
        # The most specific subnet wins should declared subnets nest.
        containing = [old for old in self.subnets if address in old]
        return max(containing, key=lambda old: old.prefixlen, default=None)


@dataclass(frozen=True)
class Clash:
    """A declared network whose subnet overlaps an existing engine network."""

    network: str  # the Compose key
    subnet: IPv4Network
    engine_network: str  # the engine-side name
    engine_subnet: IPv4Network


# ---------------------------------------------------------------- the pool


def parse_pool(text: str, *, source: str = "--subnet-pool") -> IPv4Network:
    """Parse a subnet pool given as IPv4 CIDR text.

    Raises:
        UsageError: the text is not an IPv4 network, naming `source` (the flag or variable).
    """
    try:
        pool = ipaddress.ip_network(text.strip())
    except ValueError as exc:
        raise UsageError(
            f"{source} {text!r} is not a subnet pool ({exc}): give an IPv4 CIDR such as {DEFAULT_POOL}"
        ) from exc
    if not isinstance(pool, IPv4Network):
        raise UsageError(f"{source} {text!r} is IPv6: give an IPv4 CIDR such as {DEFAULT_POOL}")
    return pool


def resolve_pool(flag: str | None, environ: Mapping[str, str]) -> IPv4Network:
    """Return the pool to renumber from: the flag, then LABKIT_SUBNET_POOL, then the default."""
    if flag:
        return parse_pool(flag)
    if environ.get(POOL_ENV):
        return parse_pool(environ[POOL_ENV], source=POOL_ENV)
    return DEFAULT_POOL


def engine_subnets(networks: Iterable[NetworkInfo]) -> dict[str, IPv4Network]:
    """Return engine network name -> IPv4 subnet, for the networks that have one."""
    subnets: dict[str, IPv4Network] = {}
    for info in networks:
        if info.subnet is None:
            continue
        try:
            subnet = ipaddress.ip_network(info.subnet, strict=False)
        except ValueError:
            continue  # the engine reported something odd: it cannot clash with an IPv4 subnet
        if isinstance(subnet, IPv4Network):
            subnets[info.name] = subnet
    return subnets


# ---------------------------------------------------------------- clashes


def find_clashes(stack: Stack, existing: Mapping[str, IPv4Network]) -> list[Clash]:
    """Return the declared networks whose subnet overlaps an existing engine network.

    `existing` maps engine network names to subnets and must leave out this project's own
    networks (they carry the declared subnets by design). Sorted by network key, then name.
    """
    return [
        Clash(key, subnet, name, existing[name])
        for key, subnet in declared_subnets(stack)
        for name in sorted(existing)
        if subnet.overlaps(existing[name])
    ]


def clash_error(
    stack: Stack, clashes: list[Clash], *, project: str | None = None, on_engine: bool = True
) -> UsageError:
    """Build the error telling the user that the first clash blocks the project, and the way out.

    Names `project` (the `-p` name) when given, else the stack's own name. With `on_engine`
    false, a clash's engine_network says what holds the subnet beyond this engine, in words.
    """
    if not clashes:
        raise ValueError("clash_error needs at least one clash")
    first = clashes[0]
    extra = len(clashes) - 1
    more = f" (and {extra} more overlap{'s' if extra > 1 else ''})" if extra else ""
    holder = f"network '{first.engine_network}'" if on_engine else first.engine_network
    where = " on the engine" if on_engine else ""
    return UsageError(
        f"network '{first.network}' ({first.subnet}) of project '{project or stack.name}' overlaps "
        f"{holder} ({first.engine_subnet}){where}{more}: "
        "run with --renumber to give this project its own subnets"
    )


# ---------------------------------------------------------------- planning


def declared_subnets(stack: Stack) -> list[tuple[str, IPv4Network]]:
    """Return (network key, subnet) for each declared network with an IPv4 subnet, by key."""
    declared: list[tuple[str, IPv4Network]] = []
    for key in sorted(stack.networks):
        text = stack.networks[key].subnet
        if text is None:
            continue  # the engine picks the subnet: nothing to renumber
        try:
            subnet = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue  # the loader validates subnets; an invalid one is not ours to renumber
        if isinstance(subnet, IPv4Network):
            declared.append((key, subnet))
    return declared


def plan_renumbering(
    stack: Stack, taken: Iterable[IPv4Network], pool: IPv4Network, *, skip: int = 0
) -> SubnetMapping:
    """Choose a free subnet of the same size in `pool` for each declared subnet.

    A chosen subnet overlaps neither `taken` (subnets of networks on the engine), nor another
    chosen one, nor a declared one. The search starts at an offset given by the project name
    and `skip`; pass the next `skip` to get different candidates after a conflict. Networks
    without a subnet are left to the engine. Deterministic.

    Raises:
        ToolkitError: the pool has no free subnet of a needed size left, or is smaller than one.
    """
    declared = declared_subnets(stack)
    avoid = [*taken, *(subnet for _, subnet in declared)]
    chosen: dict[IPv4Network, IPv4Network] = {}
    cursor = _start_offset(stack.name, skip, pool)
    # The largest subnets first: small ones placed first could split the room a large one needs.
    for key, old in sorted(declared, key=lambda item: (item[1].prefixlen, item[0])):
        if old in chosen:
            continue  # two networks declaring one subnet share its new one
        if old.prefixlen < pool.prefixlen:
            raise UsageError(
                f"subnet pool {pool} is too small for network '{key}' ({old}) of project "
                f"'{stack.name}': give a pool of at least a /{old.prefixlen} with --subnet-pool "
                f"or {POOL_ENV}"
            )
        new = _first_free(pool, old.prefixlen, cursor, avoid)
        if new is None:
            in_use = sum(1 for subnet in avoid if subnet.overlaps(pool))
            raise ToolkitError(
                f"subnet pool {pool} exhausted: no free /{old.prefixlen} for network '{key}' "
                f"({old}) of project '{stack.name}' ({in_use} subnets in the pool are in use): "
                f"remove unused projects, or give a larger pool with --subnet-pool or {POOL_ENV}"
            )
        chosen[old] = new
        avoid.append(new)
        cursor = (int(new.broadcast_address) + 1 - int(pool.network_address)) % pool.num_addresses
    return SubnetMapping(chosen)


def recover_mapping(stack: Stack, current: Mapping[str, IPv4Network]) -> SubnetMapping:
    """Rebuild a running project's mapping from its networks' subnets on the engine.

    `current` maps network keys (not engine names) to the subnet each has on the engine; keys
    missing from it keep their declared subnet.

    Raises:
        UsageError: a network on the engine has another size than the exercise declares.
    """
    subnets: dict[IPv4Network, IPv4Network] = {}
    for key, old in declared_subnets(stack):
        new = current.get(key)
        if new is None or new == old:
            continue
        if new.prefixlen != old.prefixlen:
            raise UsageError(
                f"network '{key}' of project '{stack.name}' has subnet {new} on the engine but the "
                f"exercise declares {old}: bring the project down and up again to recreate it"
            )
        subnets[old] = new
    return SubnetMapping(subnets)


def _start_offset(project: str, skip: int, pool: IPv4Network) -> int:
    # sha256 rather than hash(): Python salts str hashes per process, and every process must
    # agree on where a project's search starts.
    digest = hashlib.sha256(f"{project}\n{skip}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % pool.num_addresses


def _first_free(
    pool: IPv4Network, prefixlen: int, cursor: int, avoid: list[IPv4Network]
) -> IPv4Network | None:
    """Return the first subnet of `prefixlen` at or after `cursor` (wrapping) that avoids all."""
    size = 1 << (32 - prefixlen)
    count = pool.num_addresses // size
    base = int(pool.network_address)
    start = -(-cursor // size) % count  # the first aligned slot at or after the cursor
    for low, high in ((start, count), (0, start)):
        index = low
        while index < high:
            candidate = IPv4Network((base + index * size, prefixlen))
            blocker = next((subnet for subnet in avoid if candidate.overlaps(subnet)), None)
            if blocker is None:
                return candidate
            # Jump past the blocker instead of testing every slot it covers.
            past = int(blocker.broadcast_address) + 1 - base
            index = max(index + 1, -(-past // size))
    return None


# ---------------------------------------------------------------- applying


def apply_renumbering(stack: Stack, mapping: SubnetMapping) -> Stack:
    """Return a copy of the stack with every address of a renumbered subnet mapped."""
    if not mapping.subnets:
        return stack
    return replace(
        stack,
        networks={key: _network(network, mapping) for key, network in stack.networks.items()},
        services={key: _service(service, mapping) for key, service in stack.services.items()},
        exercise=_exercise(stack.exercise, mapping),
    )


def _network(network: Network, mapping: SubnetMapping) -> Network:
    return replace(
        network,
        subnet=None if network.subnet is None else mapping.map_subnet(network.subnet),
        gateway=None if network.gateway is None else mapping.map_address(network.gateway),
    )


def _service(service: Service, mapping: SubnetMapping) -> Service:
    healthcheck: HealthcheckSpec | None = service.healthcheck
    if healthcheck is not None:
        healthcheck = replace(healthcheck, test=mapping.map_argv(healthcheck.test))
    return replace(
        service,
        networks=tuple(_attachment(attachment, mapping) for attachment in service.networks),
        environment={name: mapping.map_text(value) for name, value in service.environment.items()},
        command=None if service.command is None else mapping.map_argv(service.command),
        entrypoint=None if service.entrypoint is None else mapping.map_argv(service.entrypoint),
        healthcheck=healthcheck,
        extra_hosts=tuple((host, mapping.map_text(ip)) for host, ip in service.extra_hosts),
        dns=mapping.map_argv(service.dns),
    )


def _attachment(attachment: ServiceNetwork, mapping: SubnetMapping) -> ServiceNetwork:
    if attachment.ipv4_address is None:
        return attachment
    return replace(attachment, ipv4_address=mapping.map_address(attachment.ipv4_address))


def _exercise(exercise: Exercise, mapping: SubnetMapping) -> Exercise:
    return replace(
        exercise,
        title=mapping.map_text(exercise.title),
        description=mapping.map_text(exercise.description),
        checks=tuple(_check(check, mapping) for check in exercise.checks),
        solution=tuple(_step(step, mapping) for step in exercise.solution),
    )


def _check(check: Check, mapping: SubnetMapping) -> Check:
    expect_output = check.expect_output
    return replace(
        check,
        run=mapping.map_argv(check.run),
        expect_output=None if expect_output is None else mapping.map_text(expect_output),
    )


def _step(step: SolutionStep, mapping: SubnetMapping) -> SolutionStep:
    return replace(step, run=mapping.map_argv(step.run))
