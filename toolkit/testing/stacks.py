"""An exercise stack as a test uses it: up for the test, commands by service, down after.

The stack's model gets this run's labels on every service, network and volume before it
goes up, so the end-of-run sweep and `labkit gc` find whatever a test left behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from toolkit.checks.project import renumber_if_clashing
from toolkit.checks.results import CheckRun
from toolkit.checks.runner import run_checks, service_containers
from toolkit.checks.solve import SolveReport, apply_solution
from toolkit.errors import ContainerNotFound, ToolkitError, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ExecResult
from toolkit.stack import naming
from toolkit.stack.model import Stack

DEFAULT_EXEC_TIMEOUT = 60.0


class LabStack:
    """A running exercise stack of one test: exec, addresses, logs, checks and the solution."""

    def __init__(self, runtime: Runtime, stack: Stack, project: str) -> None:
        self.runtime = runtime
        self.stack = stack
        self.project = project
        self._up = False

    @property
    def exercise(self) -> str:
        return self.stack.folder.name

    def __enter__(self) -> LabStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """`with lab_stack(...) as lab:` takes the stack down at the end of the block."""
        self.down()

    # ------------------------------------------------------------ lifecycle

    def up(self, *, timeout: float | None = None) -> LabStack:
        """Bring the stack up and wait until every service is ready."""
        from toolkit.stack.orchestrator import DEFAULT_TIMEOUT, up

        # Another stack on the engine (a student's copy, another test) may hold the subnets
        # the exercise declares: take free ones rather than fail.
        self.stack = renumber_if_clashing(self.runtime, self.stack, self.project)
        self._up = True  # even a failed up may leave something for down to remove
        up(self.runtime, self.stack, project=self.project, timeout=timeout or DEFAULT_TIMEOUT)
        return self

    def down(self) -> None:
        """Remove the stack's containers, networks and volumes."""
        from toolkit.stack.operations import down

        if self._up:
            self._up = False
            down(self.runtime, self.project, volumes=True)

    # ------------------------------------------------------------ looking inside

    def container(self, service: str) -> ContainerInfo:
        """The running container of `service`; ContainerNotFound when there is none."""
        found = service_containers(self.runtime, self.project).get(service)
        if found is None:
            raise ContainerNotFound(
                f"service {service!r} of project {self.project} has no running container "
                f"(services: {', '.join(sorted(self.stack.services))})"
            )
        return found

    def exec(
        self,
        service: str,
        cmd: str | Sequence[str],
        *,
        user: str | None = None,
        timeout: float = DEFAULT_EXEC_TIMEOUT,
    ) -> ExecResult:
        """Run a command in a service: a string goes through /bin/sh -c, a list is argv."""
        argv = ("/bin/sh", "-c", cmd) if isinstance(cmd, str) else tuple(cmd)
        return self.runtime.exec(self.container(service).id, argv, user=user, timeout=timeout)

    def ip(self, service: str, network: str) -> str:
        """The IPv4 address of `service` on `network` (its Compose key, or the engine's name)."""
        ips = self.container(service).ips
        declared = self.stack.networks.get(network)
        explicit = declared.explicit_name if declared is not None else None  # `name:` in the file
        for name in (explicit or naming.network_name(self.project, network), network):
            if name in ips:
                return ips[name]
        keys = sorted(name.removeprefix(f"{self.project}-") for name in ips)
        raise UsageError(f"service {service!r} is not on network {network!r} (it is on: {', '.join(keys)})")

    def logs(self, service: str, *, tail: int | None = None) -> str:
        """What the service's container wrote, stdout and stderr, as text."""
        return "\n".join(self.runtime.container_logs(self.container(service).id, tail=tail))

    # ------------------------------------------------------------ the exercise

    def check(self) -> CheckRun:
        """Run the exercise's checks now."""
        return run_checks(self.runtime, self.stack, self.project, exercise=self.exercise)

    def solve(self) -> SolveReport:
        """Apply the exercise's reference solution."""
        return apply_solution(self.runtime, self.stack, self.project, exercise=self.exercise)


class StackFactory(Protocol):
    """What the lab_stack fixtures hand a test (for type hints in test files)."""

    def __call__(
        self,
        target: str | Path,
        *,
        project: str | None = None,
        environ: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> LabStack: ...


def down_quietly(stacks: Sequence[LabStack]) -> list[str]:
    """Take stacks down in reverse order; return the errors instead of stopping at the first."""
    errors: list[str] = []
    for stack in reversed(stacks):
        try:
            stack.down()
        except ToolkitError as exc:
            errors.append(f"project {stack.project}: {exc}")
    return errors
