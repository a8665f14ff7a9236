"""How an exercise's checks are run, wherever they run: the one home of the rules.

A check runs after the checks it `requires`; one whose prerequisite did not pass is not run
and names it; checks of one depth run together on a few threads; results come back in the
file's order, each as soon as every check above it is known; a command's outcome (its exit
code and output, a timeout, a refusal) is judged by the same rules (`results.py`: points and
hints go along). Where checks run is a `CheckTarget`: an engine's containers (`runner.py`) or a
namespace's pods (`kube/`), each bringing its own probes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Protocol

from toolkit.checks.results import CheckResult, judge, not_run, timed_out
from toolkit.errors import EngineError, EngineUnavailable, ExecTimeout
from toolkit.runtime.specs import ExecResult
from toolkit.stack.model import Check

# Checks are independent commands that mostly wait (on the network, on a daemon), so a few
# threads overlap them well; more would only queue at the engine's (or the cluster's) API.
MAX_PARALLEL = 8

CheckCallback = Callable[[CheckResult], None]


class CheckTarget(Protocol):
    """Where checks run: what a runner gives the schedule."""

    def prepare(self, checks: Sequence[Check]) -> None:
        """Make ready what `checks`, about to run, need beyond the exercise (their probes)."""

    def run(self, check: Check) -> CheckResult:
        """Run one check and judge it (`run_judged`); raise only when the engine is lost."""


def run_judged(check: Check, execute: Callable[[], ExecResult]) -> CheckResult:
    """Run a check's command with `execute` and judge what it did.

    Engine failures other than a lost engine become a failed check, so one broken service
    does not hide the results of the others.
    """
    started = time.monotonic()
    try:
        result = execute()
    except ExecTimeout as exc:
        return timed_out(check, exc, time.monotonic() - started)
    except EngineUnavailable:
        raise
    except EngineError as exc:
        return not_run(check, str(exc), time.monotonic() - started)
    return judge(check, result)


def schedule(
    target: CheckTarget,
    checks: Sequence[Check],
    *,
    on_result: CheckCallback | None = None,
    max_parallel: int = MAX_PARALLEL,
) -> tuple[CheckResult, ...]:
    """Run `checks` on `target`, each after what it requires; the results in the checks' order.

    Args:
        on_result: called with each result, in the checks' order, as soon as it is known.
    """
    found: dict[int, CheckResult] = {}
    told = 0
    for wave in waves(checks):
        ready: list[int] = []
        for index in wave:
            blocker = failed_prerequisite(checks[index], checks, found)
            if blocker is None:
                ready.append(index)
            else:
                found[index] = not_run(checks[index], "", blocked_by=blocker)
        # Probes are made for the checks about to run only, not for checks a failure blocked.
        target.prepare([checks[i] for i in ready])
        ran = _run_all(target, [checks[i] for i in ready], max_parallel)
        for index, result in zip(ready, ran, strict=True):
            found[index] = result
        while told in found:  # in the file's order, as soon as every check above is known
            if on_result is not None:
                on_result(found[told])
            told += 1
    return tuple(found[index] for index in range(len(checks)))


def waves(checks: Sequence[Check]) -> list[list[int]]:
    """The checks' indexes grouped so that each runs after the checks it requires.

    A check's prerequisites are written above it (the loader makes sure), so one pass gives
    each its depth; checks of one depth run together. Without `requires` there is one wave.
    """
    depth: dict[str, int] = {}
    grouped: list[list[int]] = []
    for index, check in enumerate(checks):
        level = 1 + max((depth.get(name, -1) for name in check.requires), default=-1)
        depth[check.name] = level
        while len(grouped) <= level:
            grouped.append([])
        grouped[level].append(index)
    return grouped


def failed_prerequisite(
    check: Check, checks: Sequence[Check], found: Mapping[int, CheckResult]
) -> str | None:
    """The first prerequisite of `check` that did not pass, or None when all did."""
    by_name = {result.name: result for result in found.values()}
    for name in check.requires:
        result = by_name.get(name)
        if result is None and name not in {other.name for other in checks}:
            continue  # a prerequisite left out of this run (a hand-picked subset): not a blocker
        if result is None or not result.passed:
            return name
    return None


def _run_all(target: CheckTarget, checks: Sequence[Check], max_parallel: int) -> Iterator[CheckResult]:
    """Run the checks on a few worker threads; yield the results in the checks' order.

    The workers are daemon threads, not an executor's: on Ctrl-C the caller stops waiting at
    once, the checks still queued never start, and a check still running (up to its own
    timeout) does not keep the interpreter from exiting, as an executor's threads would.
    """
    futures: list[Future[CheckResult]] = [Future() for _ in checks]
    queued: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(checks)):
        queued.put(index)

    def work() -> None:
        while True:
            try:
                index = queued.get_nowait()
            except queue.Empty:
                return
            future = futures[index]
            if not future.set_running_or_notify_cancel():
                continue  # cancelled: the caller is gone
            try:
                future.set_result(target.run(checks[index]))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    # A pool, not one thread per check: a course may have dozens of checks per exercise.
    for _ in range(min(max(1, max_parallel), len(checks))):
        threading.Thread(target=work, name="labkit-check", daemon=True).start()
    try:
        for future in futures:  # in the file's order, whatever order they finish in
            yield future.result()
    finally:
        for future in futures:
            future.cancel()  # on Ctrl-C (or an engine gone), do not start the checks still queued
