"""Fixed container names: two services of one file cannot share one."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.stack.container_names import fixed_names
from toolkit.stack.model import Service, Stack


def _stack(*services: Service) -> Stack:
    return Stack("lab", Path("/lab/compose.yaml"), {s.name: s for s in services}, {}, {})


def test_fixed_names_map_to_their_services() -> None:
    stack = _stack(Service("web", image="x", container_name="front"), Service("db", image="x"))
    assert fixed_names(stack, ("web", "db")) == {"front": "web"}


def test_two_services_with_one_container_name_are_refused_in_one_line() -> None:
    stack = _stack(
        Service("a", image="x", container_name="box"), Service("b", image="x", container_name="box")
    )
    with pytest.raises(UsageError, match=r"^/lab/compose.yaml: services a and b both set container_name box"):
        fixed_names(stack, ("a", "b"))
