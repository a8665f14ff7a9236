"""Build order from FROM lines: parents first, stable, loops found."""

from __future__ import annotations

import pytest

from toolkit.images.graph import (
    CycleError,
    build_order,
    find_cycle,
    levels,
    with_ancestors,
)

COURSE = {"base": (), "netlab": ("base",), "dns": ("base",), "web": ("base",), "lab2": ("netlab",)}


def test_parents_come_first_and_ties_go_by_name() -> None:
    assert build_order(COURSE) == ["base", "dns", "netlab", "web", "lab2"]


def test_a_selection_pulls_in_its_ancestors_only() -> None:
    assert build_order(COURSE, ["lab2"]) == ["base", "netlab", "lab2"]
    assert build_order(COURSE, ["web", "dns"]) == ["base", "dns", "web"]
    assert with_ancestors(COURSE, ["lab2"]) == {"lab2", "netlab", "base"}


def test_levels_group_independent_images() -> None:
    assert levels(COURSE) == [["base"], ["dns", "netlab", "web"], ["lab2"]]


def test_a_loop_is_found_and_named() -> None:
    looped = {**COURSE, "base": ("lab2",)}
    cycle = find_cycle(looped)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"base", "netlab", "lab2"}
    with pytest.raises(CycleError) as caught:
        build_order(looped)
    assert "base -> " in str(caught.value) or "lab2 -> " in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_self_loop_is_a_loop() -> None:
    assert find_cycle({"a": ("a",)}) == ("a", "a")


def test_no_loop_in_a_tree() -> None:
    assert find_cycle(COURSE) is None
