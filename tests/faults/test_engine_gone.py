"""The engine stops while labkit works with it, then comes back on the same socket.

Each test runs an engine of its own (private_engines.py): the shared Docker daemon and Podman
service stay untouched. The next operation fails with EngineGone (exit 3 from the CLI, one
line, no traceback); once the engine is back, `down` then `up` work again.

Every network here names its subnet: the private dockerd has no address pools (see
private_engines.py), and an automatic subnet could overlap the shared daemon's networks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.engine.test_stack_fixtures import make_stack, on_lan, service, test_subnet
from tests.outcomes import cannot_run
from toolkit.errors import EngineUnavailable
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.operations import down, ps
from toolkit.stack.orchestrator import up

from .conftest import (
    assert_clean_exit,
    finish,
    has_containers,
    labkit,
    leftovers,
    start_labkit,
    stop,
    wait_until,
    write_compose,
)
from .private_engines import PrivateEngine, available
from .test_signals import NEVER_READY, SLOW_STACK

pytestmark = pytest.mark.engine


@pytest.fixture
def private(runtime: Runtime, busybox_image: str, tmp_path: Path) -> Iterator[PrivateEngine]:
    """A running engine of the same kind as `runtime`, with the busybox image."""
    reason = available(runtime.name)  # type: ignore[arg-type]
    if reason:
        cannot_run(f"no private {runtime.name}: {reason}")
    with PrivateEngine(runtime.name) as engine:  # type: ignore[arg-type]
        engine.start()
        if runtime.name == "docker":  # its own image store; Podman's private service shares storage
            archive = tmp_path / "busybox.tar"
            runtime.save_images([busybox_image], archive)
            own = engine.connect()
            try:
                own.load_images(archive)
            finally:
                own.close()
        yield engine


def test_the_next_operation_says_the_engine_went_away(
    private: PrivateEngine, busybox_image: str, project: str, tmp_path: Path
) -> None:
    engine = private.connect()
    try:
        networks, attach = on_lan(test_subnet())
        web = replace(service("web", busybox_image, init=True), networks=attach)
        stack = make_stack(tmp_path, web, networks=networks)
        up(engine, stack, project=project)
        private.stop()

        with pytest.raises(EngineUnavailable) as caught:
            ps(engine, project)
        assert "stopped answering" in caught.value.message or "is gone" in caught.value.message
        assert "\n" not in caught.value.message

        private.start()  # the same socket: the same adapter object carries on
        down(engine, project)
        result = up(engine, stack, project=project)
        assert [(s.service, s.state) for s in result.services] == [("web", "running")]
        down(engine, project)
        assert leftovers(engine, project) == []
    finally:
        engine.close()


def test_cli_up_when_the_engine_stops_exits_3_and_a_retry_works(
    private: PrivateEngine, busybox_image: str, project: str, tmp_path: Path
) -> None:
    text = SLOW_STACK.format(image=busybox_image, subnet=test_subnet())
    folder = write_compose(tmp_path / "slow", text.replace("networks: [lan, default]", "networks: [lan]"))
    cli = ("--engine", private.name)
    engine = private.connect()
    process = start_labkit("up", str(folder), "-p", project, *cli, env={**private.env, **NEVER_READY})
    try:
        wait_until("a container of the project exists", has_containers(engine, project), process)
        private.stop()
        code, out, err = finish(process)
        assert_clean_exit(code, err, 3)
        assert out == ""

        private.start()
        again = labkit("down", "-p", project, *cli, env=private.env)
        assert again.returncode == 0, again.stderr
        assert leftovers(engine, project) == []
        retried = labkit("up", str(folder), "-p", project, *cli, env=private.env)
        assert retried.returncode == 0, retried.stderr
        assert {c.name for c in engine.list_containers(naming.project_selector(project)) if c.running} == {
            f"{project}-slow",
            f"{project}-after",
        }
        assert labkit("down", "-p", project, *cli, env=private.env).returncode == 0
        assert leftovers(engine, project) == []
    finally:
        stop(process)
        engine.close()
