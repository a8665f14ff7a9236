"""A service's resource limits: `ulimits`, `mem_limit`, `cpus`, `pids_limit`, and
`deploy.resources.limits` (cpus, memory, pids), which map onto the same three."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from toolkit.runtime.specs import Ulimit
from toolkit.stack.compose.fields import At, checked, entries, integer, number, size
from toolkit.stack.compose.keys import DEPLOY, LIMITS, RESOURCES, ULIMIT
from toolkit.stack.compose.yaml_source import MapNode

_ULIMIT_NAME = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Limits:
    mem_limit: int | None = None
    cpus: float | None = None
    pids_limit: int | None = None


def read_ulimits(at: At) -> tuple[Ulimit, ...]:
    """Read `ulimits`: `name: N` (soft and hard) or `name: {soft: N, hard: M}`."""
    found: list[Ulimit] = []
    for name, value in entries(at).items():
        if not _ULIMIT_NAME.fullmatch(name):
            value.fail(f"invalid ulimit name {name!r}: expected lowercase letters, e.g. nofile")
        if isinstance(value.node, MapNode):
            fields = checked(value, ULIMIT)
            for needed in ("soft", "hard"):
                if needed not in fields:
                    value.fail(f"a ulimit mapping needs '{needed}'")
            soft = integer(fields["soft"], minimum=-1)
            hard = integer(fields["hard"], minimum=-1)
            if hard != -1 and (soft == -1 or soft > hard):
                value.fail(f"the soft limit {soft} is above the hard limit {hard}")
        else:
            soft = hard = integer(value, minimum=-1)
        found.append(Ulimit(name, soft, hard))
    return tuple(found)


def read_limits(fields: Mapping[str, At]) -> Limits:
    """Read mem_limit, cpus and pids_limit, merged with `deploy.resources.limits`.

    Where both give a limit they must agree, as Compose requires.
    """
    memory = size(fields["mem_limit"]) if "mem_limit" in fields else None
    cpus = number(fields["cpus"], positive=True) if "cpus" in fields else None
    pids = integer(fields["pids_limit"], minimum=-1) if "pids_limit" in fields else None
    if "deploy" not in fields:
        return Limits(memory, cpus, pids)
    deploy = checked(fields["deploy"], DEPLOY, allow_null=True)
    resources = checked(deploy["resources"], RESOURCES) if "resources" in deploy else {}
    limits = checked(resources["limits"], LIMITS) if "limits" in resources else {}
    if "memory" in limits:
        memory = _agree(limits["memory"], size(limits["memory"]), memory, "mem_limit")
    if "cpus" in limits:
        cpus = _agree(limits["cpus"], number(limits["cpus"], positive=True), cpus, "cpus")
    if "pids" in limits:
        pids = _agree(limits["pids"], integer(limits["pids"], minimum=-1), pids, "pids_limit")
    return Limits(memory, cpus, pids)


Limit = TypeVar("Limit", int, float)


def _agree(at: At, value: Limit, other: Limit | None, name: str) -> Limit:
    if other is not None and other != value:
        at.fail(f"disagrees with the service's '{name}'; give the limit once")
    return value
