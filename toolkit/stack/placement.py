"""Which subnets a project's networks get: the ones they have, the declared ones, or free ones.

A project keeps the subnets its networks have on the engine for as long as they exist, so
`up` of a project that is up changes nothing, renumbered or not, with or without `--renumber`.
Networks still to be created get the declared subnets, refused when one overlaps a network on
the engine (`renumber.clash_error`), or with renumbering free subnets from the pool
(`renumber.plan_renumbering`). Either way one mapping rewrites the whole stack.

Pure: the caller lists the engine's networks (and, in `elsewhere`, what other engines and the
host's interfaces hold: stack/elsewhere.py) and passes them in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network

from toolkit.errors import StackError
from toolkit.runtime.specs import NetworkInfo
from toolkit.stack import naming
from toolkit.stack.model import Stack
from toolkit.stack.renumber import (
    DEFAULT_POOL,
    SubnetMapping,
    apply_renumbering,
    clash_error,
    declared_subnets,
    engine_subnets,
    find_clashes,
    plan_renumbering,
    recover_mapping,
)

# How often `up` picks new subnets after the engine refused the previous pick. Each retry starts
# at an unrelated place in the pool (renumber._start_offset), so a handful settles thirty
# projects racing on one engine.
DEFAULT_ATTEMPTS = 8


@dataclass(frozen=True)
class Renumbering:
    """Give a project free subnets of the declared sizes instead of the declared ones."""

    pool: IPv4Network = DEFAULT_POOL
    # Subnets in use beyond this engine: the other engine's networks, which share the host's
    # routing table but which this engine does not see.
    taken_elsewhere: tuple[IPv4Network, ...] = ()
    attempts: int = DEFAULT_ATTEMPTS


@dataclass(frozen=True)
class Placement:
    """The stack with the project's addresses, and the subnets picked for it just now."""

    stack: Stack
    mapping: SubnetMapping = field(default_factory=SubnetMapping)
    # Subnets chosen by this placement for networks not yet on the engine: when the engine
    # refuses to create one, another process may have taken it since the listing.
    picked: frozenset[IPv4Network] = frozenset()


def project_subnets(networks: Iterable[NetworkInfo], project: str) -> dict[str, IPv4Network]:
    """Network key -> the IPv4 subnet of the project's network of that key on the engine."""
    found: dict[str, IPv4Network] = {}
    for network in networks:
        key = network.labels.get(naming.LABEL_NETWORK)
        if network.labels.get(naming.LABEL_PROJECT) != project or not key or network.subnet is None:
            continue
        try:
            subnet = ipaddress.ip_network(network.subnet, strict=False)
        except ValueError:
            continue
        if isinstance(subnet, IPv4Network):
            found[key] = subnet
    return found


def others_subnets(networks: Iterable[NetworkInfo], project: str) -> dict[str, IPv4Network]:
    """Engine name -> subnet of every network on the engine that is not the project's."""
    return engine_subnets(n for n in networks if n.labels.get(naming.LABEL_PROJECT) != project)


def place(
    stack: Stack,
    project: str,
    networks: Iterable[NetworkInfo],
    renumbering: Renumbering | None = None,
    *,
    skip: int = 0,
    elsewhere: Mapping[str, IPv4Network] | None = None,
) -> Placement:
    """Decide the project's subnets given the engine's `networks`; see the module docstring.

    `skip` > 0 asks for other free subnets than the previous attempt's (renumbering only).
    `elsewhere` holds subnets in use beyond this engine (stack/elsewhere.py), by what holds
    them: refused like the engine's own, and avoided when renumbering.

    Raises:
        UsageError: without renumbering, a network to create overlaps one on the engine or
            elsewhere on the host (the message names both and suggests --renumber); a network
            on the engine has another size than declared; the pool is too small.
        ToolkitError: the pool has no free subnet of a needed size left.
    """
    listed = list(networks)
    named = replace(stack, name=project)  # messages and the pool search use the project's name
    current = project_subnets(listed, project)
    recover_mapping(named, current)  # refuses a network whose size changed
    declared = declared_subnets(named)
    kept = {old: current[key] for key, old in declared if key in current}
    missing = {key for key, _ in declared if key not in current}
    others = others_subnets(listed, project)
    picked: dict[IPv4Network, IPv4Network] = {}
    if missing and renumbering is None:
        to_create = replace(named, networks={k: n for k, n in named.networks.items() if k in missing})
        clashes = find_clashes(to_create, others)
        if clashes:
            raise clash_error(named, clashes, project=project)
        beyond = find_clashes(to_create, dict(elsewhere or {}))
        if beyond:
            raise clash_error(named, beyond, project=project, on_engine=False)
    elif missing and renumbering is not None:
        taken = [
            *others.values(),
            *renumbering.taken_elsewhere,
            *(elsewhere or {}).values(),
            *current.values(),
        ]
        plan = plan_renumbering(named, taken, renumbering.pool, skip=skip)
        picked = {old: plan.subnets[old] for key, old in declared if key in missing and old not in kept}
    mapping = SubnetMapping({old: new for old, new in {**picked, **kept}.items() if old != new})
    return Placement(apply_renumbering(stack, mapping), mapping, frozenset(picked.values()))


def check_names(project: str, wanted: Iterable[str], networks: Iterable[NetworkInfo]) -> None:
    """Refuse engine network names `wanted` by the project but held by someone else's network.

    Raises:
        StackError: naming the network and its owner.
    """
    names = set(wanted)
    for network in networks:
        owner = network.labels.get(naming.LABEL_PROJECT)
        if network.name in names and owner != project:
            whose = f"labkit project {owner}" if owner else "not labkit's"
            raise StackError(
                f"network {network.name} exists already ({whose}): remove it, or choose another "
                "project name with -p"
            )
