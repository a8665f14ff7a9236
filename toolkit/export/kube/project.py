"""The stack as one project has it: renumbered subnets and addresses when it runs renumbered.

A project brought up with `--renumber` on this host exports with its own addresses, so its
description (`labkit describe -p`), its checks and its cluster copy agree; any other project
exports with the declared ones.
"""

from __future__ import annotations

from dataclasses import replace

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.model import Stack
from toolkit.stack.placement import project_subnets
from toolkit.stack.renumber import apply_renumbering, recover_mapping


def project_stack(runtime: Runtime | None, stack: Stack, project: str) -> Stack:
    """`stack` named `project`, rewritten with the subnets the project has on `runtime`.

    Raises:
        UsageError: a network of the project has another size than the exercise declares.
    """
    named = replace(stack, name=project)
    if runtime is None:
        return named
    networks = runtime.list_networks(naming.project_selector(project))
    return apply_renumbering(named, recover_mapping(named, project_subnets(networks, project)))
