"""An exercise as one project runs it: with that project's own subnets and labels.

`labkit up -p alice --renumber` gives a copy of an exercise other subnets, and rewrites every
address in its checks and solution to match. Checking or solving that project later must use
the same addresses, so they are recovered from the subnets its networks have on the engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.elsewhere import host_subnets, other_engines_subnets
from toolkit.stack.model import Stack
from toolkit.stack.placement import project_subnets
from toolkit.stack.renumber import (
    apply_renumbering,
    engine_subnets,
    find_clashes,
    plan_renumbering,
    recover_mapping,
    resolve_pool,
)


def with_labels(stack: Stack, labels: Mapping[str, str]) -> Stack:
    """The same stack with `labels` on every service, network and volume it creates.

    How a test run or a self-test marks a project as its own (the run label), so that what a
    killed run left behind can be told from a student's stack and removed.
    """
    return replace(
        stack,
        services={k: replace(s, labels={**s.labels, **labels}) for k, s in stack.services.items()},
        networks={k: replace(n, labels={**n.labels, **labels}) for k, n in stack.networks.items()},
        volumes={k: replace(v, labels={**v.labels, **labels}) for k, v in stack.volumes.items()},
    )


def stack_as_running(runtime: Runtime, stack: Stack, project: str) -> Stack:
    """The stack with the addresses the running `project` has (unchanged if not renumbered).

    Raises:
        UsageError: a network of the project has another size than the exercise declares.
    """
    networks = runtime.list_networks(naming.project_selector(project))
    return apply_renumbering(stack, recover_mapping(stack, project_subnets(networks, project)))


def renumber_if_clashing(
    runtime: Runtime,
    stack: Stack,
    project: str,
    environ: Mapping[str, str] | None = None,
    routes: Path | None = None,
    elsewhere: Mapping[str, IPv4Network] | None = None,
) -> Stack:
    """The stack, renumbered into free subnets when its own would overlap a network on the
    engine, on another engine or on a host interface (a student's copy of the same exercise,
    say); unchanged otherwise. `routes`: the host's routing table (default: /proc/net/route);
    `elsewhere`: the other engines' subnets (default: asked, stack/elsewhere.py).

    The self-test and test fixtures run next to whatever else the engine (or the other engine,
    or the host) holds: a clash there is not a reason to fail.
    """
    networks = runtime.list_networks({})
    own = engine_subnets(n for n in networks if n.labels.get(naming.LABEL_PROJECT) == project)
    others = engine_subnets(n for n in networks if n.labels.get(naming.LABEL_PROJECT) != project)
    # The other engine's networks share this host's routes (Podman refuses a subnet a Docker
    # bridge has; Docker would make a second route to one Podman uses): avoid them too.
    routed = host_subnets() if routes is None else host_subnets(routes)
    others.update({name: net for name, net in routed.items() if net not in own.values()})
    # A Podman network's bridge exists only while a container uses it: ask the other engines.
    beyond = other_engines_subnets(runtime.name) if elsewhere is None else elsewhere
    others.update({name: net for name, net in beyond.items() if net not in own.values()})
    if not find_clashes(stack, others):
        return stack
    pool = resolve_pool(None, os.environ if environ is None else environ)
    # The search for free subnets starts at a place derived from the name: use the project's.
    mapping = plan_renumbering(replace(stack, name=project), others.values(), pool)
    return apply_renumbering(stack, mapping)
