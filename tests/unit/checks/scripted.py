"""Checks and solutions run against the fake engine: a project's containers whose commands a
test answers, and the results those answers are made of."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from toolkit.errors import ExecTimeout
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import ContainerSpec, ExecResult

Handler = Callable[[str, tuple[str, ...]], ExecResult]  # service, argv -> the answer (or raise)
IMAGE = "img"


@dataclass(frozen=True)
class Container:
    project: str
    service: str
    running: bool = True


def container(project: str, service: str, *, running: bool = True) -> Container:
    """A container `scripted_engine` creates (and starts; one not running has exited with 0)."""
    return Container(project, service, running)


def scripted_engine(
    containers: Sequence[Container], handler: Handler, *, name: str | None = None
) -> FakeRuntime:
    """A fake engine holding `containers`, whose execs `handler` answers by service."""
    fake = FakeRuntime(name=name)
    fake.add_image(IMAGE)

    def answer(container: str, argv: Sequence[str]) -> ExecResult:
        return handler(fake.inspect_container(container).labels["io.labkit.service"], tuple(argv))

    fake.on_exec = answer
    for wanted in containers:
        add_container(fake, wanted)
    return fake


def add_container(fake: FakeRuntime, wanted: Container) -> str:
    labels = {"io.labkit.project": wanted.project, "io.labkit.service": wanted.service}
    created = fake.create_container(ContainerSpec(IMAGE, f"{wanted.project}-{wanted.service}", labels=labels))
    fake.start_container(created)
    if not wanted.running:
        fake.exit_container(created, 0)
    return created


def exec_calls(fake: FakeRuntime) -> list[tuple[str, tuple[str, ...], str | None, float | None]]:
    """The execs the engine answered: service, argv, user and timeout."""
    return [
        (
            fake.inspect_container(call.container).labels["io.labkit.service"],
            call.argv,
            call.user,
            call.timeout,
        )
        for call in fake.execs
    ]


def ok(stdout: str = "", code: int = 0, stderr: str = "") -> ExecResult:
    return ExecResult(exit_code=code, stdout=stdout, stderr=stderr, duration=0.01)


def timeout(seconds: float, output: str = "") -> ExecTimeout:
    return ExecTimeout(f"did not finish within {seconds:g} s", timeout=seconds, output=output)
