"""One pytest run as labkit sees it: its identity, its engine connections, its cleanup.

Testcontainers' reaper (Ryuk) cannot be pulled on these hosts, so labkit guarantees cleanup
itself, in three layers:

1. fixtures remove what they create at teardown;
2. at the end of the session (Ctrl-C included) everything carrying this run's label goes;
3. a run killed outright (SIGKILL) cannot clean up: the next run, on its first use of an
   engine, and `labkit gc` remove what runs whose owner process is gone left behind.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import EngineUnavailable, ToolkitError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, connect, resolve_engine
from toolkit.stack.gc import GcReport, collect, remove_labelled
from toolkit.stack.naming import LABEL_OWNER, LABEL_PROJECT, LABEL_RUN, owner


@dataclass(frozen=True)
class Engine:
    """A connected engine: where it answers and the adapter talking to it."""

    choice: EngineChoice
    runtime: Runtime

    @property
    def name(self) -> str:
        return self.choice.name


@dataclass
class LabRun:
    """This pytest process: its run id and owner label, the engines it opened, what it reaped."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    owner: str = field(default_factory=owner)
    engines: dict[str, Engine] = field(default_factory=dict)
    reaped: dict[str, GcReport] = field(default_factory=dict)  # engine -> the first-use gc
    reap_errors: dict[str, str] = field(default_factory=dict)
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def labels(self, project: str) -> dict[str, str]:
        """Labels for a resource this run creates: gc and the final sweep find it by them."""
        return {LABEL_PROJECT: project, LABEL_OWNER: self.owner, LABEL_RUN: self.run_id}

    def run_labels(self) -> Mapping[str, str]:
        """The labels that tie a resource to this run (no project)."""
        return {LABEL_OWNER: self.owner, LABEL_RUN: self.run_id}

    def unique_project(self, stem: str) -> str:
        """A project name no other test of any run uses: `<stem>-<run>-<n>`."""
        with self._lock:
            number = next(self._names)
        return f"{stem}-{self.run_id[:6]}-{number}"

    def engine(self, name: str) -> Engine:
        """Connect to an engine once per run; the first connection reaps dead runs' leftovers.

        Raises:
            EngineUnavailable: the engine does not answer.
        """
        with self._lock:
            if name in self.engines:
                return self.engines[name]
            choice = resolve_engine(name)
            runtime = connect(choice)
            try:
                runtime.info()
            except EngineUnavailable:
                runtime.close()
                raise
            engine = Engine(choice, runtime)
            try:
                self.reaped[name] = collect(runtime)
            except ToolkitError as exc:
                # Reaping is a courtesy to earlier runs: it must not fail this one.
                self.reap_errors[name] = str(exc)
            self.engines[name] = engine
            return engine

    def sweep(self) -> list[GcReport]:
        """Remove everything this run created on every engine it used, and close them."""
        reports: list[GcReport] = []
        with self._lock:
            engines, self.engines = list(self.engines.values()), {}
        for engine in engines:
            try:
                reports.append(remove_labelled(engine.runtime, {LABEL_RUN: self.run_id}))
            except ToolkitError:
                pass  # the engine went away or refused: its next run, or `labkit gc`, cleans up
            finally:
                engine.runtime.close()
        return reports


@dataclass(frozen=True)
class RunOutcome:
    """What one test process's run cleaned up, in words: sent from pytest-xdist workers to
    the controlling process, which reports for the whole run.

    reaped: resources of earlier runs that died, removed on first use of an engine.
    swept: resources this run's tests left behind, removed by the final sweep (a leak).
    failed: resources the sweep could not remove, and why.
    """

    run_id: str
    reaped: tuple[str, ...] = ()
    reap_errors: tuple[str, ...] = ()
    swept: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @classmethod
    def of(cls, run: LabRun, sweeps: Iterable[GcReport]) -> RunOutcome:
        sweeps = list(sweeps)
        return cls(
            run.run_id,
            reaped=tuple(_named(report, r) for report in run.reaped.values() for r in report.removed),
            reap_errors=tuple(f"{engine}: {error}" for engine, error in run.reap_errors.items()),
            swept=tuple(_named(report, r) for report in sweeps for r in report.removed),
            failed=tuple(f"{_named(report, r)}: {error}" for report in sweeps for r, error in report.failed),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and strings, as pytest-xdist carries between processes."""
        return {"run_id": self.run_id, **{key: list(getattr(self, key)) for key in _LISTS}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOutcome:
        return cls(str(data["run_id"]), **{key: tuple(str(v) for v in data.get(key, ())) for key in _LISTS})


_LISTS = ("reaped", "reap_errors", "swept", "failed")


def _named(report: GcReport, resource: Any) -> str:
    return f"{report.engine} {resource.kind} {resource.name}"
