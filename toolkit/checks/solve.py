"""Apply an exercise's reference solution: its steps in order, stopping at the first failure."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from toolkit.checks.results import clip, combined, format_seconds, head
from toolkit.checks.runner import require_running
from toolkit.errors import EngineError, EngineUnavailable, ExecTimeout
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo
from toolkit.stack.model import SolutionStep, Stack


@dataclass(frozen=True)
class StepResult:
    """One solution step as it ran."""

    index: int  # 1-based, as a person counts the steps
    service: str
    argv: tuple[str, ...]
    exit_code: int | None  # None: timed out, or never ran
    stdout: str = ""
    stderr: str = ""
    duration: float = 0.0
    timed_out: bool = False
    timeout: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.error

    @property
    def reason(self) -> str:
        """Why the step failed; empty when it succeeded."""
        if self.ok:
            return ""
        if self.error:
            return self.error
        if self.timed_out:
            return f"timed out after {format_seconds(self.timeout)}s"
        return f"exit code {self.exit_code}"

    @property
    def command(self) -> str:
        """The step's command as a person would type it: the script of `sh -c`, else argv."""
        if len(self.argv) == 3 and self.argv[1] == "-c" and self.argv[0].endswith("sh"):
            return self.argv[2]
        return " ".join(self.argv)

    @property
    def summary(self) -> str:
        """The command on one line: a script shows its first line and how many follow."""
        lines = self.command.strip().splitlines() or [""]
        more = f" (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
        return lines[0] + more

    def output_head(self, lines: int = 5) -> tuple[str, ...]:
        return head(combined(self.stdout, self.stderr), lines)


@dataclass(frozen=True)
class SolveReport:
    """The steps that ran; the last one is the failure when the solution did not apply."""

    exercise: str
    project: str
    steps: tuple[StepResult, ...]
    total: int  # how many steps the solution has
    duration: float

    @property
    def passed(self) -> bool:
        return len(self.steps) == self.total and all(step.ok for step in self.steps)

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)


StepCallback = Callable[[StepResult], None]


def apply_step(
    runtime: Runtime, index: int, step: SolutionStep, container: ContainerInfo | None
) -> StepResult:
    """Run one step in its service's container; engine refusals become a failed step."""
    base = StepResult(index=index, service=step.service, argv=step.run, exit_code=None, timeout=step.timeout)
    if container is None:
        return replace(base, error=f"service {step.service!r} has no running container")
    started = time.monotonic()
    try:
        result = runtime.exec(container.id, step.run, user=step.user, timeout=step.timeout)
    except ExecTimeout as exc:
        return replace(base, timed_out=True, stdout=clip(exc.output), duration=time.monotonic() - started)
    except EngineUnavailable:
        raise
    except EngineError as exc:
        return replace(base, error=str(exc), duration=time.monotonic() - started)
    return replace(
        base,
        exit_code=result.exit_code,
        stdout=clip(result.stdout),
        stderr=clip(result.stderr),
        duration=result.duration,
    )


def apply_solution(
    runtime: Runtime,
    stack: Stack,
    project: str | None = None,
    *,
    exercise: str | None = None,
    containers: Mapping[str, ContainerInfo] | None = None,
    on_step: StepCallback | None = None,
) -> SolveReport:
    """Apply the stack's reference solution to a running project, step by step.

    Steps depend on each other (a route before the ping that needs it), so they run one at a
    time and the first failure stops the rest.

    Args:
        on_step: called with each step's result as soon as it finished.

    Raises:
        UsageError: no container of the project runs.
    """
    project = project or stack.name
    exercise = exercise or stack.name
    if containers is None:
        containers = require_running(runtime, project, exercise)
    solution = stack.exercise.solution
    started = time.monotonic()
    done: list[StepResult] = []
    for index, step in enumerate(solution, start=1):
        result = apply_step(runtime, index, step, containers.get(step.service))
        done.append(result)
        if on_step is not None:
            on_step(result)
        if not result.ok:
            break
    return SolveReport(
        exercise=exercise,
        project=project,
        steps=tuple(done),
        total=len(solution),
        duration=time.monotonic() - started,
    )
