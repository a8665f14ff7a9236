"""A runtime fake that knows containers and exec, which is all checks and solutions need."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from toolkit.errors import ContainerNotFound, ExecTimeout
from toolkit.runtime.specs import ContainerInfo, ContainerState, ExecResult

Handler = Callable[[str, tuple[str, ...]], ExecResult]


def container(project: str, service: str, *, running: bool = True) -> ContainerInfo:
    return ContainerInfo(
        id=f"id-{project}-{service}",
        name=f"{project}-{service}",
        image="img",
        state=ContainerState.RUNNING if running else ContainerState.EXITED,
        exit_code=None if running else 0,
        labels={"io.labkit.project": project, "io.labkit.service": service},
    )


@dataclass
class ExecFake:
    """Containers by id; `handler(service, argv)` answers each exec, or raises."""

    containers: list[ContainerInfo]
    handler: Handler
    name: str = "fake"
    calls: list[tuple[str, tuple[str, ...], str | None, float | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def list_containers(self, labels: Mapping[str, str | None], *, all: bool = True) -> list[ContainerInfo]:
        def selected(info: ContainerInfo) -> bool:
            for key, value in labels.items():
                if key not in info.labels or (value is not None and info.labels[key] != value):
                    return False
            return all or info.running

        return [info for info in self.containers if selected(info)]

    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
        timeout: float | None = None,
    ) -> ExecResult:
        info = next((c for c in self.containers if c.id == container), None)
        if info is None:
            raise ContainerNotFound(f"no container {container}")
        with self.lock:
            self.calls.append((info.labels["io.labkit.service"], tuple(argv), user, timeout))
        return self.handler(info.labels["io.labkit.service"], tuple(argv))


def ok(stdout: str = "", code: int = 0, stderr: str = "") -> ExecResult:
    return ExecResult(exit_code=code, stdout=stdout, stderr=stderr, duration=0.01)


def timeout(seconds: float, output: str = "") -> ExecTimeout:
    return ExecTimeout(f"did not finish within {seconds:g} s", timeout=seconds, output=output)
