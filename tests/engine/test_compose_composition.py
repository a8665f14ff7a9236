"""File-level Compose features an engine can see: profiles and links, on both engines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.compose import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

PROFILES = """\
services:
  web:
    image: {image}
    init: true
    command: [sleep, "3600"]
  debug:
    image: {image}
    init: true
    command: [sleep, "3600"]
    profiles: [debug]
    depends_on: [web]
"""

LINKS = """\
services:
  web:
    image: {image}
    init: true
    command: [sleep, "3600"]
    cap_add: [NET_RAW]  # ping: Docker grants NET_RAW by default, Podman does not
    links: ["db:database"]
  db:
    image: {image}
    init: true
    command: [sleep, "3600"]
"""


@pytest.fixture
def project(runtime: Runtime, unique_name: str) -> Iterator[str]:
    yield unique_name
    down(runtime, unique_name, volumes=True)


def _services(runtime: Runtime, project: str) -> list[str]:
    containers = runtime.list_containers(naming.project_selector(project))
    return sorted(info.labels[naming.LABEL_SERVICE] for info in containers)


def test_a_profiles_services_come_up_only_when_it_is_enabled(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    file = tmp_path / "compose.yaml"
    file.write_text(PROFILES.format(image=busybox_image))
    engine = ("--engine", runtime.name, "-p", project)
    off = labkit("validate", str(file), env={"COMPOSE_PROFILES": ""})
    assert off.returncode == 0, off.stderr
    assert "not started (their profiles are not enabled): debug; enable one with --profile NAME" in off.stdout
    on = labkit("validate", str(file), "--profile", "debug", env={"COMPOSE_PROFILES": ""})
    assert on.returncode == 0 and "not started" not in on.stdout, on.stdout
    assert re.search(r"^\s+1\s+debug\s", on.stdout, re.MULTILINE), on.stdout  # wave 1, after web

    first = labkit("up", str(file), "--no-wait", *engine, env={"COMPOSE_PROFILES": ""})
    assert first.returncode == 0, first.stderr
    assert _services(runtime, project) == ["web"]

    # The flag enables it; so does COMPOSE_PROFILES, which the flag overrides.
    second = labkit(
        "up", str(file), "--no-wait", "--profile", "debug", *engine, env={"COMPOSE_PROFILES": "x"}
    )
    assert second.returncode == 0, second.stderr
    assert _services(runtime, project) == ["debug", "web"]

    # Without the profile again, the debug service is left as it is (it is still in the file).
    third = labkit("up", str(file), "--no-wait", *engine, env={"COMPOSE_PROFILES": ""})
    assert third.returncode == 0, third.stderr
    assert _services(runtime, project) == ["debug", "web"]

    # down takes the whole project, whatever the profiles it is read with.
    gone = labkit("down", str(file), *engine, env={"COMPOSE_PROFILES": ""})
    assert gone.returncode == 0, gone.stderr
    assert leftovers(runtime, project) == []


def test_compose_profiles_enables_a_profile_from_the_environment(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(PROFILES.format(image=busybox_image))
    stack = load_stack(tmp_path / "compose.yaml", environ={"COMPOSE_PROFILES": "debug"})
    result = up(runtime, stack, project=project, wait=False)
    assert sorted(status.service for status in result.services) == ["debug", "web"]
    assert _services(runtime, project) == ["debug", "web"]


def test_a_link_alias_reaches_the_linked_service(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(LINKS.format(image=busybox_image))
    result = up(runtime, load_stack(tmp_path / "compose.yaml", environ={}), project=project, wait=False)
    web, db = (next(s for s in result.services if s.service == name) for name in ("web", "db"))
    [db_address] = db.ips.values()

    # The link's alias and the service's own name both lead to db's address.
    for name in ("database", "db"):
        reached = runtime.exec(web.container, ["ping", "-c1", "-W2", name])
        assert reached.ok, (name, reached)
        assert f"({db_address})" in reached.stdout, reached.stdout
    # The linked service started first: the link is a dependency too.
    assert [status.service for status in result.services] == ["db", "web"]
