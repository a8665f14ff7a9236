"""Garbage collection: find and remove what a labkit process that died left behind.

Every resource a test run or a self-test creates carries an owner label (`<hostname>:<pid>`)
and a run label (`io.labkit.run=<uuid>`): the owning process promised to remove it when done.
When that process is gone (SIGKILL, a crash, a closed terminal), nobody will: `collect`
removes such resources. The run label matters because stacks from `labkit up` carry an owner
too, the short-lived `labkit up` process, yet are meant to outlive it: they stay until
`labkit down`, and gc only reports them.

Never touched: resources without labkit labels (gc only lists labelled ones), resources of
a live owner, resources owned by another host (an engine shared by several machines), and
resources without an owner label.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from toolkit.errors import EngineError, EngineUnavailable, NotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import LabelSelector
from toolkit.stack.naming import LABEL_OWNER, LABEL_PROJECT, LABEL_RUN

Kind = Literal["container", "network", "volume"]
Action = Literal["remove", "keep"]
# Removal order: containers hold networks and volumes in use.
KINDS: tuple[Kind, ...] = ("container", "network", "volume")


@dataclass(frozen=True)
class Owner:
    """Who promised to remove a resource: a process on a host."""

    host: str
    pid: int

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


def parse_owner(value: str) -> Owner | None:
    """`host:pid` as the owner label spells it; None when it is not that."""
    host, sep, pid = value.rpartition(":")
    if not sep or not host or not pid.isdigit():
        return None
    return Owner(host, int(pid))


def pid_alive(pid: int) -> bool:
    """Whether a process of this pid exists on this host (signal 0 probes without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just is not ours
    return True


@dataclass(frozen=True)
class Resource:
    """A labelled container, network or volume, and what gc decided about it."""

    kind: Kind
    name: str
    project: str
    owner: str  # the raw owner label, "" when absent
    run: str  # the run label, "" when absent
    action: Action
    reason: str


@dataclass(frozen=True)
class GcReport:
    """What gc found on one engine, what it removed and what it could not remove."""

    engine: str
    dry_run: bool
    found: tuple[Resource, ...]
    removed: tuple[Resource, ...] = ()
    failed: tuple[tuple[Resource, str], ...] = ()

    @property
    def garbage(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.found if r.action == "remove")

    @property
    def kept(self) -> tuple[Resource, ...]:
        return tuple(r for r in self.found if r.action == "keep")


def judge(labels: Mapping[str, str], *, host: str, alive: Callable[[int], bool]) -> tuple[Action, str]:
    """Decide about one resource from its labels: remove only a dead run's leftovers."""
    raw = labels.get(LABEL_OWNER, "")
    if not raw:
        return "keep", "no owner label"
    owner = parse_owner(raw)
    if owner is None:
        return "keep", f"owner label {raw!r} is not host:pid"
    if owner.host != host:
        return "keep", f"owned by host {owner.host}"
    if alive(owner.pid):
        return "keep", f"owner process {owner.pid} is alive"
    if not labels.get(LABEL_RUN):
        project = labels.get(LABEL_PROJECT, "")
        return "keep", f"a stack from `labkit up`: remove it with `labkit down -p {project}`"
    return "remove", f"owner process {owner.pid} is gone"


LIST_ATTEMPTS = 3


def _list_once(runtime: Runtime, kind: Kind, selector: LabelSelector) -> list[tuple[str, Mapping[str, str]]]:
    if kind == "container":
        return [(c.name, c.labels) for c in runtime.list_containers(selector, all=True)]
    if kind == "network":
        return [(n.name, n.labels) for n in runtime.list_networks(selector)]
    return [(v.name, v.labels) for v in runtime.list_volumes(selector)]


def _listed(runtime: Runtime, kind: Kind, selector: LabelSelector) -> list[tuple[str, Mapping[str, str]]]:
    """(name, labels) of each resource of a kind; a listing that fails is tried again.

    gc runs while other processes create and remove resources: an engine may fail a listing
    because something it listed vanished before it could describe it (Podman answers that with
    a 500, not a 404). Another try sees the engine as it is now.
    """
    for _ in range(LIST_ATTEMPTS - 1):
        try:
            return _list_once(runtime, kind, selector)
        except EngineUnavailable:
            raise
        except EngineError:
            continue
    return _list_once(runtime, kind, selector)


def survey(
    runtime: Runtime,
    *,
    selector: LabelSelector | None = None,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> list[Resource]:
    """Every labkit-labelled resource (or those matching `selector`), judged.

    Engines select by label key, not prefix, so "labkit-labelled" means it carries a project,
    owner or run label: whatever labkit creates has at least one of them.
    """
    host = host or socket.gethostname()
    selectors = (
        [selector]
        if selector is not None
        else [
            {LABEL_PROJECT: None},
            {LABEL_OWNER: None},
            {LABEL_RUN: None},
        ]
    )
    found: list[Resource] = []
    for kind in KINDS:
        seen: set[str] = set()
        for sel in selectors:
            for name, labels in _listed(runtime, kind, sel):
                if name in seen:
                    continue
                seen.add(name)
                action, reason = judge(labels, host=host, alive=alive)
                found.append(
                    Resource(
                        kind,
                        name,
                        labels.get(LABEL_PROJECT, ""),
                        labels.get(LABEL_OWNER, ""),
                        labels.get(LABEL_RUN, ""),
                        action,
                        reason,
                    )
                )
    return found


def remove(
    runtime: Runtime, resources: Iterable[Resource]
) -> tuple[list[Resource], list[tuple[Resource, str]]]:
    """Remove resources, containers first; one that cannot be removed does not stop the rest.

    A resource already gone counts as removed: another cleaner (a test's own teardown, a
    concurrent gc) got there first.
    """
    ordered = sorted(resources, key=lambda r: KINDS.index(r.kind))
    removed: list[Resource] = []
    failed: list[tuple[Resource, str]] = []
    for resource in ordered:
        try:
            if resource.kind == "container":
                runtime.remove_container(resource.name, force=True, volumes=True)
            elif resource.kind == "network":
                runtime.remove_network(resource.name)
            else:
                runtime.remove_volume(resource.name, force=True)
        except NotFound:
            pass
        except EngineUnavailable:
            raise
        except EngineError as exc:
            # Another cleaner may have removed it meanwhile (engines do not always say so
            # with a 404): only what is still there failed.
            if _still_there(runtime, resource):
                failed.append((resource, str(exc)))
                continue
        removed.append(resource)
    return removed, failed


def _still_there(runtime: Runtime, resource: Resource) -> bool:
    try:
        if resource.kind == "container":
            runtime.inspect_container(resource.name)
        elif resource.kind == "network":
            runtime.inspect_network(resource.name)
        else:
            return any(v.name == resource.name for v in runtime.list_volumes({}))
    except NotFound:
        return False
    except EngineError:
        return True
    return True


def collect(
    runtime: Runtime,
    *,
    dry_run: bool = False,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> GcReport:
    """Find the leftovers of dead labkit processes on this engine and (unless dry_run) remove them."""
    found = tuple(survey(runtime, host=host, alive=alive))
    report = GcReport(engine=runtime.name, dry_run=dry_run, found=found)
    if dry_run:
        return report
    removed, failed = remove(runtime, report.garbage)
    return GcReport(runtime.name, dry_run, found, tuple(removed), tuple(failed))


def remove_labelled(runtime: Runtime, selector: LabelSelector) -> GcReport:
    """Remove every resource matching `selector`, whoever owns it: a run's own final sweep."""
    found = tuple(
        Resource(r.kind, r.name, r.project, r.owner, r.run, "remove", "selected")
        for r in survey(runtime, selector=selector)
    )
    removed, failed = remove(runtime, found)
    return GcReport(runtime.name, False, found, tuple(removed), tuple(failed))
