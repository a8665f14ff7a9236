"""depends_on's `restart: true`: which unchanged services `up` restarts after a dependency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.stack.dependents import to_restart
from toolkit.stack.model import Dependency, Service, Stack
from toolkit.stack.outcomes import Action
from toolkit.stack.plan import make_plan
from toolkit.stack.scheduler import ServiceWork

STACK = Stack(
    "lab",
    Path("/lab/compose.yaml"),
    {
        "db": Service("db", image="x"),
        "api": Service("api", image="x", depends_on=(Dependency("db", restart=True),)),
        "web": Service("web", image="x", depends_on=(Dependency("api", restart=True),)),
        "cron": Service("cron", image="x", depends_on=(Dependency("db"),)),  # no restart asked
    },
    {},
    {},
)


def _work(**actions: Action) -> dict[str, ServiceWork]:
    resolved: Any = None  # to_restart reads actions only
    return {name: ServiceWork(resolved, actions.get(name, "unchanged")) for name in STACK.services}


def test_a_changed_dependency_restarts_its_dependents_in_start_order() -> None:
    plan = make_plan(STACK)
    assert to_restart(STACK, plan, _work(db="recreated")) == ["api", "web"]  # web follows api
    assert to_restart(STACK, plan, _work(api="started")) == ["web"]
    assert to_restart(STACK, plan, _work()) == []
    assert to_restart(STACK, plan, _work(db="recreated", api="recreated")) == [
        "web"
    ]  # api is changed already
