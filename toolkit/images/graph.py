"""Build order of course images, found from their FROM lines (never a hand-kept list).

Every function takes `parents`: image name -> the course images its FROM lines name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from toolkit.errors import UsageError

Parents = Mapping[str, tuple[str, ...]]


class CycleError(UsageError):
    """Course images name each other in a loop of FROM lines."""

    def __init__(self, cycle: tuple[str, ...]) -> None:
        self.cycle = cycle
        super().__init__(
            f"course images build FROM each other in a loop: {' -> '.join(cycle)}; "
            "break the loop in one of their Containerfiles"
        )


def find_cycle(parents: Parents) -> tuple[str, ...] | None:
    """A loop of FROM references, first name repeated at the end, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> tuple[str, ...] | None:
        state[name] = 1
        path.append(name)
        for parent in sorted(parents.get(name, ())):
            if state.get(parent) == 1:
                return (*path[path.index(parent) :], parent)
            if parent in parents and parent not in state:
                found = visit(parent)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return None

    for name in sorted(parents):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def check_acyclic(parents: Parents) -> None:
    """Raise CycleError when FROM lines loop."""
    cycle = find_cycle(parents)
    if cycle:
        raise CycleError(cycle)


def with_ancestors(parents: Parents, names: Iterable[str]) -> set[str]:
    """The names and every course image they are built from, transitively."""
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(parents.get(name, ()))
    return wanted


def build_order(parents: Parents, names: Iterable[str] | None = None) -> list[str]:
    """The names (default: all) and their ancestors, each after the images it builds FROM.

    Ties are broken by name, so the order is stable. Raises CycleError.
    """
    check_acyclic(parents)
    wanted = with_ancestors(parents, parents if names is None else names)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(wanted):
        ready = sorted(
            name for name in wanted - done if all(p in done or p not in wanted for p in parents.get(name, ()))
        )
        if not ready:  # only a loop leaves nothing ready, and check_acyclic ruled that out
            raise CycleError(tuple(sorted(wanted - done)))
        order.extend(ready)
        done.update(ready)
    return order


def levels(parents: Parents, names: Iterable[str] | None = None) -> list[list[str]]:
    """build_order grouped into waves: the images of one wave are independent of each other."""
    order = build_order(parents, names)
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = 1 + max((depth[p] for p in parents.get(name, ()) if p in depth), default=-1)
    waves: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for name in order:
        waves[depth[name]].append(name)
    return waves
