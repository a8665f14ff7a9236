"""Compose keys the engine carries out, on both engines: logging, security_opt, runtime,
restart retries, dockerfile_inline and build labels, explicit network and volume names,
depends_on's restart, and bind mounts outside the exercise folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import this_run
from toolkit.errors import StackError, ToolkitError, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import NetworkSpec
from toolkit.stack.compose import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_contract import wait_for
from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine


@pytest.fixture
def projects(runtime: Runtime) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for project in made:
        down(runtime, project, volumes=True)


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compose.yaml").write_text(text)
    return folder / "compose.yaml"


RUN_AS_WRITTEN = """\
services:
  box:
    image: {image}
    init: true
    command: [sleep, "3600"]
    runtime: runc
    security_opt: ["no-new-privileges:true", seccomp=unconfined]
    logging: {{driver: json-file, options: {{max-size: 1m, max-file: "2"}}}}
  flaky:
    image: {image}
    command: [sh, -c, "echo run >> /data/runs; exit 3"]
    restart: on-failure:2
    volumes: [./data:/data]
  quiet:
    image: {image}
    command: [sh, -c, "echo hello; sleep 3600"]
    logging: {{driver: none}}
"""


def test_logging_security_opt_runtime_and_restart_retries(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    path = _write(tmp_path, RUN_AS_WRITTEN.format(image=busybox_image))
    project = this_run.unique("lkt-run")
    projects.append(project)
    statuses = {
        s.service: s for s in up(runtime, load_stack(path, environ={}), project=project, wait=False).services
    }

    status = runtime.exec(
        statuses["box"].container, ["grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/1/status"]
    )
    assert status.stdout.split() == ["NoNewPrivs:", "1", "Seccomp:", "0"], status
    # Retried twice after the first failure: three runs, then the engine gives up.
    flaky = statuses["flaky"].container
    assert wait_for(lambda: (tmp_path / "data" / "runs").read_text().count("run") >= 3, attempts=300)
    assert wait_for(lambda: runtime.inspect_container(flaky).exit_code == 3, attempts=300)
    assert (tmp_path / "data" / "runs").read_text().count("run") == 3
    # A none driver keeps nothing to read back; json-file keeps what the service wrote.
    quiet = statuses["quiet"].container
    assert wait_for(lambda: runtime.exec(quiet, ["true"]).ok)
    assert "hello" not in "\n".join(_logs(runtime, quiet))
    runtime.exec(statuses["box"].container, ["sh", "-c", "echo written > /proc/1/fd/1"])
    assert wait_for(lambda: "written" in "\n".join(_logs(runtime, statuses["box"].container)))


def _logs(runtime: Runtime, container: str) -> list[str]:
    try:
        return list(runtime.container_logs(container))
    except ToolkitError:  # the engine may refuse to read a none driver's logs at all
        return []


def test_a_runtime_or_log_driver_the_engine_lacks_is_refused_before_anything_is_made(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    project = this_run.unique("lkt-fit")
    projects.append(project)
    for key, said in (
        ("runtime: no-such-runtime", f"runtime 'no-such-runtime' is not one {runtime.name}"),
        ("logging: {driver: no-such-driver}", f"log driver 'no-such-driver' is not one {runtime.name}"),
        ("platform: wasi/wasm", f"platform 'wasi/wasm' is not the platform of {runtime.name}"),
    ):
        path = _write(tmp_path, f"services:\n  box:\n    image: {busybox_image}\n    {key}\n")
        with pytest.raises(UsageError) as refused:
            up(runtime, load_stack(path, environ={}), project=project)
        assert said in str(refused.value)
        assert leftovers(runtime, project) == []


BUILT = """\
services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM {image}
        RUN echo inline > /built-from
      labels: [io.labkit.test-label=inline]
    init: true
    command: [sleep, "3600"]
"""


def test_dockerfile_inline_and_build_labels(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    path = _write(tmp_path / "inline", BUILT.format(image=busybox_image))
    project = this_run.unique("lkt-inline")
    projects.append(project)
    [status] = up(runtime, load_stack(path, environ={}), project=project).services
    try:
        assert runtime.exec(status.container, ["cat", "/built-from"]).stdout.strip() == "inline"
        assert runtime.inspect_image(f"{project}-app").labels["io.labkit.test-label"] == "inline"
        assert sorted(p.name for p in (tmp_path / "inline").iterdir()) == ["compose.yaml"]  # nothing left
    finally:
        down(runtime, project)
        runtime.remove_image(f"{project}-app", force=True)


NAMED = """\
services:
  app:
    image: {image}
    init: true
    command: [sleep, "3600"]
    networks: [front]
    volumes: [data:/data]
networks:
  front:
    name: {network}
volumes:
  data:
    name: {volume}
"""


def test_explicit_network_and_volume_names(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    network, volume = this_run.unique("lkt-net"), this_run.unique("lkt-vol")
    path = _write(tmp_path, NAMED.format(image=busybox_image, network=network, volume=volume))
    first, second = this_run.unique("lkt-named"), this_run.unique("lkt-named2")
    projects += [first, second]
    stack = load_stack(path, environ={})

    [status] = up(runtime, stack, project=first).services
    assert list(runtime.inspect_container(status.container).ips) == [network]
    assert volume in [v.name for v in runtime.list_volumes({})]
    # The same names under another project: refused before anything is created.
    with pytest.raises(StackError, match=f"network front is named {network}"):
        up(runtime, stack, project=second)
    assert leftovers(runtime, second) == []

    gone = down(runtime, first, volumes=True)
    assert network in gone.networks and volume in gone.volumes


HOST_PATH = """\
services:
  app:
    image: {image}
    init: true
    command: [sleep, "3600"]
    volumes: ["{outside}:/outside:ro"]
"""


def test_bind_mounts_outside_the_folder_run_with_allow_host_paths(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "note").write_text("from the host")
    path = _write(tmp_path / "exercise", HOST_PATH.format(image=busybox_image, outside=outside))
    project = this_run.unique("lkt-host")
    projects.append(project)
    stack = load_stack(path, environ={})
    with pytest.raises(UsageError, match="pass --allow-host-paths"):
        up(runtime, stack, project=project)
    assert leftovers(runtime, project) == []
    refused = labkit("up", str(path.parent), "-p", project, "--engine", runtime.name)
    assert refused.returncode == 2 and "--allow-host-paths" in refused.stderr
    [status] = up(runtime, stack, project=project, allow_host_paths=True).services
    assert runtime.exec(status.container, ["cat", "/outside/note"]).stdout == "from the host"


RESTARTED = """\
services:
  db:
    image: {image}
    init: true
    command: [sleep, "3600"]
    environment: {{VERSION: "{version}"}}
  api:
    image: {image}
    init: true
    command: [sleep, "3600"]
    depends_on: {{db: {{condition: service_started, restart: true}}}}
  cron:
    image: {image}
    init: true
    command: [sleep, "3600"]
    depends_on: [db]
"""


def test_depends_on_restart_restarts_the_dependent_when_up_changes_its_dependency(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    project = this_run.unique("lkt-restart")
    projects.append(project)
    path = _write(tmp_path, RESTARTED.format(image=busybox_image, version="1"))
    up(runtime, load_stack(path, environ={}), project=project)
    before = {s: runtime.inspect_container(f"{project}-{s}") for s in ("db", "api", "cron")}

    _write(tmp_path, RESTARTED.format(image=busybox_image, version="2"))
    result = up(runtime, load_stack(path, environ={}), project=project)
    after = {s: runtime.inspect_container(f"{project}-{s}") for s in ("db", "api", "cron")}

    assert {s.service: s.action for s in result.services}["db"] == "recreated"
    assert after["api"].id == before["api"].id and after["api"].running
    assert after["api"].started_at != before["api"].started_at  # the same container, started again
    assert after["cron"].started_at == before["cron"].started_at  # no restart asked: left alone


RESTARTED_BY_ENGINE = """\
services:
  app:
    image: {image}
    command: [sh, -c, "if [ -e /data/once ]; then exec sleep 3600; fi; touch /data/once; exit 1"]
    restart: on-failure
    volumes: [./data:/data]
"""


def test_a_container_the_engine_restarts_by_itself_keeps_the_same_view_inside(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    """routes and resolv.conf as on Docker, also after the restart policy started it again."""
    (tmp_path / "data").mkdir()
    path = _write(tmp_path, RESTARTED_BY_ENGINE.format(image=busybox_image))
    project = this_run.unique("lkt-again")
    projects.append(project)
    [status] = up(runtime, load_stack(path, environ={}), project=project, wait=False).services

    def restarted() -> bool:
        return (tmp_path / "data" / "once").exists() and runtime.inspect_container(status.container).running

    assert wait_for(restarted, attempts=300)
    routes = runtime.exec(status.container, ["cat", "/proc/net/route"]).stdout.splitlines()[1:]
    assert [line.split()[1] for line in routes].count("00000000") == 1, routes
    resolv = runtime.exec(status.container, ["cat", "/etc/resolv.conf"]).stdout
    assert "dns.podman" not in resolv and resolv.count("nameserver") == 1, resolv


DRIVER_OPTS = """\
services:
  app:
    image: {image}
    init: true
    command: [sleep, "3600"]
    volumes: [store:/store, scratch:/scratch]
volumes:
  store:
    driver_opts: {{type: none, o: bind, device: ./store}}
  scratch:
    driver_opts: {{type: tmpfs, device: tmpfs}}
"""


def test_volume_driver_opts_of_the_local_driver(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path
) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "kept").write_text("on the host")
    path = _write(tmp_path, DRIVER_OPTS.format(image=busybox_image))
    project = this_run.unique("lkt-opts")
    projects.append(project)
    [status] = up(runtime, load_stack(path, environ={}), project=project).services
    assert runtime.exec(status.container, ["cat", "/store/kept"]).stdout == "on the host"
    mounts = runtime.exec(status.container, ["grep", " /scratch ", "/proc/mounts"]).stdout
    assert mounts.split()[2] == "tmpfs", mounts


EXTERNAL = """\
services:
  app:
    image: {image}
    init: true
    command: [sleep, "3600"]
    networks: [shared]
networks:
  shared:
    external: true
    name: {network}
"""


def test_an_external_network_is_joined_never_made_or_removed(
    runtime: Runtime, busybox_image: str, projects: list[str], tmp_path: Path, test_labels: dict[str, str]
) -> None:
    network = this_run.unique("lkt-ext")
    path = _write(tmp_path, EXTERNAL.format(image=busybox_image, network=network))
    project = this_run.unique("lkt-extp")
    projects.append(project)
    stack = load_stack(path, environ={})
    with pytest.raises(StackError, match=f"network shared is external: {runtime.name} has no network named"):
        up(runtime, stack, project=project)
    assert leftovers(runtime, project) == []

    runtime.create_network(NetworkSpec(network, labels=test_labels))  # made by hand, outside labkit
    try:
        [status] = up(runtime, stack, project=project).services
        assert list(runtime.inspect_container(status.container).ips) == [network]
        gone = down(runtime, project, volumes=True)
        assert network not in gone.networks
        assert runtime.inspect_network(network).name == network  # still there
    finally:
        down(runtime, project)
        runtime.remove_network(network)
