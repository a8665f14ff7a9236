"""`depends_on: {X: {restart: true}}`: when `up` changes X, the service restarts after it.

Compose restarts such a dependent once it has updated the dependency, so that the dependent
reconnects to the new one. `up` does the same: a dependent it would leave running is stopped
first and started again in dependency order, after X is ready (the scheduler's "started").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from toolkit.runtime.protocol import Runtime
from toolkit.stack.model import Stack
from toolkit.stack.plan import Plan
from toolkit.stack.scheduler import ServiceWork

_DEFAULT_STOP = 10.0  # seconds, the engines' own stop timeout


def to_restart(stack: Stack, plan: Plan, work: Mapping[str, ServiceWork]) -> list[str]:
    """The services left unchanged whose dependency with `restart: true` changes, in start
    order (a restarted service counts as changed for its own dependents)."""
    changed = {name for name, item in work.items() if item.action != "unchanged"}
    found: list[str] = []
    for name in plan.service_names:
        if name in changed:
            continue
        if any(d.restart and d.service in changed for d in stack.services[name].depends_on):
            found.append(name)
            changed.add(name)
    return found


def restart_dependents(runtime: Runtime, stack: Stack, plan: Plan, work: dict[str, ServiceWork]) -> list[str]:
    """Stop the dependents to restart and mark them to be started in order; return them."""
    names = to_restart(stack, plan, work)
    for name in names:
        existing = work[name].existing
        if existing is not None and existing.running:
            grace = stack.services[name].stop_grace_period
            runtime.stop_container(existing.id, timeout=_DEFAULT_STOP if grace is None else grace)
        work[name] = replace(work[name], action="started", existing=None)
    return names
