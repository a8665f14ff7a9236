"""Shared pieces of the stack engine tests: stacks built in code, a project that is always
brought down, and a runtime wrapper that misbehaves on cue. (No tests here.)"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import HealthcheckSpec
from toolkit.stack import naming
from toolkit.stack.model import Dependency, Network, Service, ServiceNetwork, Stack, Volume
from toolkit.stack.operations import down

QUICK_HC = HealthcheckSpec(("CMD", "true"), interval=1.0, timeout=5.0, retries=3)
SLEEP = ("sleep", "3600")


def service(
    name: str,
    image: str,
    *needs: str,
    condition: str = "service_healthy",
    healthcheck: HealthcheckSpec | None = QUICK_HC,
    **fields: Any,
) -> Service:
    fields.setdefault("command", SLEEP)
    return Service(
        name,
        image=image,
        healthcheck=healthcheck,
        depends_on=tuple(Dependency(n, condition) for n in needs),  # type: ignore[arg-type]
        **fields,
    )


def make_stack(
    folder: Path,
    *services: Service,
    networks: tuple[Network, ...] = (),
    volumes: tuple[Volume, ...] = (),
    name: str = "lab",
) -> Stack:
    exercise = folder / name
    exercise.mkdir(parents=True, exist_ok=True)
    return Stack(
        name=name,
        file=exercise / "compose.yaml",
        services={s.name: s for s in services},
        networks={n.name: n for n in networks},
        volumes={v.name: v for v in volumes},
    )


def six_services(image: str) -> tuple[Service, ...]:
    """ENGINES.md's stack: s1,s4 -> s2,s5 -> s3,s6, all service_healthy, init: true."""
    return (
        service("s1", image, init=True),
        service("s2", image, "s1", init=True),
        service("s3", image, "s2", init=True),
        service("s4", image, init=True),
        service("s5", image, "s4", init=True),
        service("s6", image, "s5", init=True),
    )


def test_subnet() -> str:
    """A /24 unlikely to be used by anything else running tests at the same time."""
    return f"10.{random.randint(200, 250)}.{random.randint(0, 255)}.0/24"


test_subnet.__test__ = False  # type: ignore[attr-defined]


def on_lan(subnet: str | None = None) -> tuple[tuple[Network, ...], tuple[ServiceNetwork, ...]]:
    return (Network("lan", subnet=subnet),), (ServiceNetwork("lan"),)


@pytest.fixture(name="project")
def project_fixture(runtime: Runtime, unique_name: str) -> Iterator[str]:
    """A project name whose resources are removed whatever the test does."""
    yield unique_name
    down(runtime, unique_name, volumes=True)


def leftovers(runtime: Runtime, project: str) -> list[str]:
    selector = naming.project_selector(project)
    return (
        [c.name for c in runtime.list_containers(selector)]
        + [n.name for n in runtime.list_networks(selector)]
        + [v.name for v in runtime.list_volumes(selector)]
    )


class Misbehaving:
    """A runtime that delegates everything, except that `method` runs `action` first."""

    def __init__(self, inner: Runtime, method: str, action: Callable[[], None]) -> None:
        self._inner = inner
        self._method = method
        self._action = action

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            self._action()
            return attribute(*args, **kwargs)

        return wrapped
