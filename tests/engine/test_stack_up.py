"""`up` and `down` on real engines: dependency order, health, idempotence, failures, cleanup."""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.errors import Interrupted, StackError, UsageError
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import BuildSpec, ContainerSpec, HealthcheckSpec, NetworkSpec
from toolkit.stack.model import BuildConfig, Dependency
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up
from toolkit.stack.outcomes import StackEvent

from .test_stack_fixtures import (
    Misbehaving,
    leftovers,
    make_stack,
    on_lan,
    project_fixture,  # noqa: F401  (the `project` fixture)
    service,
    six_services,
    test_subnet,
)

pytestmark = pytest.mark.engine


def test_three_level_stack_comes_up_in_order_and_goes_down(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    subnet = test_subnet()
    networks, attach = on_lan(subnet)
    services = tuple(replace(s, networks=attach) for s in six_services(busybox_image))
    stack = make_stack(tmp_path, *services, networks=networks)
    events: list[StackEvent] = []

    result = up(runtime, stack, project=project, on_event=events.append)

    assert [s.service for s in result.services] == ["s1", "s4", "s2", "s5", "s3", "s6"]
    assert {(s.state, s.health, s.action) for s in result.services} == {("running", "healthy", "created")}
    for status in result.services:
        assert ipaddress.ip_address(status.ips["lan"]) in ipaddress.ip_network(subnet)
        assert status.container == f"{project}-{status.service}"
    seen = [(e.kind, e.subject) for e in events]
    for first, then in (("s1", "s2"), ("s2", "s3"), ("s4", "s5"), ("s5", "s6")):
        assert seen.index(("service-ready", first)) < seen.index(("container-started", then))
    assert result.networks_created == (f"{project}-lan",)

    gone = down(runtime, project)
    assert sorted(gone.containers) == sorted(s.container for s in result.services)
    assert gone.networks == (f"{project}-lan",)
    assert leftovers(runtime, project) == []


def test_service_completed_successfully(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    job = service("job", busybox_image, healthcheck=None, command=("sh", "-c", "sleep 0.2; echo done"))
    app = service("app", busybox_image, "job", condition="service_completed_successfully")
    result = up(runtime, make_stack(tmp_path, job, app), project=project)
    states = {s.service: (s.state, s.exit_code, s.health) for s in result.services}
    assert states == {"job": ("exited", 0, None), "app": ("running", None, "healthy")}
    assert up(runtime, make_stack(tmp_path, job, app), project=project).changed is False


def test_failed_job_stops_up_and_leaves_nothing(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    job = service(
        "job", busybox_image, healthcheck=None, command=("sh", "-c", "echo migration broke; exit 4")
    )
    app = service("app", busybox_image, "job", condition="service_completed_successfully")
    with pytest.raises(StackError) as caught:
        up(runtime, make_stack(tmp_path, job, app), project=project)
    assert caught.value.service == "job"
    assert "exited with code 4" in caught.value.message
    assert "migration broke" in caught.value.log_tail
    assert leftovers(runtime, project) == []


def test_health_from_the_image_healthcheck(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    context = tmp_path / "image"
    context.mkdir()
    (context / "Containerfile").write_text(
        f"FROM {busybox_image}\nHEALTHCHECK --interval=30s --retries=3 CMD test -f /tmp/ready\n"
    )
    tag = f"localhost/{project}-hc:latest"
    runtime.build_image(BuildSpec(context=context, tags=(tag,)))
    try:
        slow = service(
            "slow",
            tag,
            healthcheck=None,
            command=("sh", "-c", "sleep 0.3; touch /tmp/ready; exec sleep 3600"),
        )
        after = service("after", busybox_image, "slow")
        unchecked = service("unchecked", tag, healthcheck=HealthcheckSpec(("NONE",)))
        result = up(runtime, make_stack(tmp_path, slow, after, unchecked), project=project)
        health = {s.service: s.health for s in result.services}
        assert health == {"slow": "healthy", "after": "healthy", "unchecked": None}
        down(runtime, project)
    finally:
        runtime.remove_image(tag, force=True)


def test_a_service_that_exits_fails_up_with_its_logs(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    never_ready = HealthcheckSpec(("CMD", "test", "-f", "/nonexistent"), interval=1, retries=100)
    db = service("db", busybox_image)
    crash = service(
        "crash",
        busybox_image,
        "db",
        healthcheck=never_ready,
        command=("sh", "-c", "echo cannot bind port; sleep 0.3; exit 3"),
    )
    with pytest.raises(StackError) as caught:
        up(runtime, make_stack(tmp_path, db, crash), project=project)
    error = caught.value
    assert error.service == "crash"
    assert "service crash exited with code 3" in error.message
    assert "removed" in error.message
    assert error.log_tail == ("cannot bind port",)
    assert leftovers(runtime, project) == []


def test_never_healthy_times_out_with_the_probe_output(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    failing = HealthcheckSpec(("CMD-SHELL", "echo still warming up; exit 1"), interval=30, retries=3)
    stuck = service(
        "stuck", busybox_image, healthcheck=failing, command=("sh", "-c", "echo booting; exec sleep 3600")
    )
    networks, attach = on_lan()
    stack = make_stack(tmp_path, replace(stuck, networks=attach), networks=networks)
    with pytest.raises(StackError) as caught:
        up(runtime, stack, project=project, timeout=1.0)
    error = caught.value
    assert error.service == "stuck"
    assert "was not healthy within 1 s" in error.message
    assert error.probe_output == "still warming up"
    assert error.log_tail == ("booting",)
    assert leftovers(runtime, project) == []


def test_unhealthy_by_the_healthchecks_own_rules(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    failing = HealthcheckSpec(("CMD", "false"), interval=0.1, retries=2)
    with pytest.raises(StackError, match="service sick unhealthy after 2 failed healthchecks"):
        up(
            runtime,
            make_stack(tmp_path, service("sick", busybox_image, healthcheck=failing)),
            project=project,
        )
    assert leftovers(runtime, project) == []


def test_keep_on_failure_keeps_what_was_created(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    bad = service("bad", busybox_image, healthcheck=None, command=("false",))
    with pytest.raises(StackError, match="kept"):
        up(runtime, make_stack(tmp_path, bad), project=project, keep_on_failure=True)
    assert leftovers(runtime, project) == [f"{project}-bad", f"{project}-default"]


def test_up_again_changes_only_what_differs(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    services = six_services(busybox_image)
    first = up(runtime, make_stack(tmp_path, *services), project=project)
    ids = {s.service: runtime.inspect_container(s.container).id for s in first.services}

    again = up(runtime, make_stack(tmp_path, *services), project=project)
    assert again.changed is False
    assert {s.action for s in again.services} == {"unchanged"}
    assert {s.service: runtime.inspect_container(s.container).id for s in again.services} == ids

    changed = tuple(replace(s, environment={"LEVEL": "2"}) if s.name == "s2" else s for s in services) + (
        service("s7", busybox_image, "s3"),
    )
    third = up(runtime, make_stack(tmp_path, *changed), project=project)
    actions = {s.service: s.action for s in third.services}
    assert actions == {
        "s1": "unchanged",
        "s4": "unchanged",
        "s2": "recreated",
        "s5": "unchanged",
        "s3": "unchanged",
        "s6": "unchanged",
        "s7": "created",
    }
    now = {s.service: runtime.inspect_container(s.container).id for s in third.services}
    assert now["s2"] != ids["s2"]
    assert {k: v for k, v in now.items() if k not in ("s2", "s7")} == {
        k: v for k, v in ids.items() if k != "s2"
    }

    # A service removed from the file goes away; the rest stays.
    fourth = up(runtime, make_stack(tmp_path, *services), project=project)
    assert fourth.removed == (f"{project}-s7",)
    assert sorted(c.name for c in runtime.list_containers({"io.labkit.project": project})) == sorted(
        f"{project}-s{n}" for n in range(1, 7)
    )


def test_stopped_service_is_started_again(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    stack = make_stack(tmp_path, service("web", busybox_image, init=True))
    up(runtime, stack, project=project)
    runtime.kill_container(f"{project}-web")
    result = up(runtime, stack, project=project)
    assert [(s.action, s.state, s.health) for s in result.services] == [("started", "running", "healthy")]


def test_down_spares_foreign_containers_and_other_projects(
    runtime: Runtime, busybox_image: str, project: str, unique_name: str, tmp_path: Path
) -> None:
    other = f"{unique_name}-b"
    foreign = runtime.create_container(
        ContainerSpec(image=busybox_image, name=f"{project}-x", command=("sleep", "3600"))
    )
    try:
        stack = make_stack(tmp_path, service("web", busybox_image, init=True))
        up(runtime, stack, project=project)
        up(runtime, stack, project=other)
        down(runtime, project)
        assert leftovers(runtime, project) == []
        assert runtime.inspect_container(foreign).name == f"{project}-x"
        assert [c.name for c in runtime.list_containers({"io.labkit.project": other})] == [f"{other}-web"]
    finally:
        down(runtime, other)
        runtime.remove_container(foreign, force=True)
    assert leftovers(runtime, other) == []


def test_subnet_clash_is_refused_before_anything_is_created(
    runtime: Runtime,
    busybox_image: str,
    project: str,
    unique_name: str,
    tmp_path: Path,
    test_labels: dict[str, str],
) -> None:
    subnet = test_subnet()
    blocker = runtime.create_network(
        NetworkSpec(
            name=f"{unique_name}-blocker", subnet=subnet, labels={"io.labkit.project": f"{unique_name}-z"}
        )
    )
    try:
        networks, attach = on_lan(subnet)
        stack = make_stack(tmp_path, service("web", busybox_image, networks=attach), networks=networks)
        with pytest.raises(UsageError) as caught:
            up(runtime, stack, project=project)
        assert f"'{unique_name}-blocker'" in caught.value.message
        assert "'lan'" in caught.value.message
        assert "--renumber" in caught.value.message
        assert leftovers(runtime, project) == []
    finally:
        runtime.remove_network(blocker.name)


def test_two_projects_side_by_side_and_their_clash(
    runtime: Runtime, busybox_image: str, project: str, unique_name: str, tmp_path: Path
) -> None:
    other = f"{unique_name}-b"
    try:
        free = make_stack(tmp_path, service("web", busybox_image, init=True))
        up(runtime, free, project=project)
        assert [s.state for s in up(runtime, free, project=other).services] == ["running"]
        down(runtime, other)

        networks, attach = on_lan(test_subnet())
        fixed = make_stack(
            tmp_path, service("web", busybox_image, networks=attach), networks=networks, name="fixed"
        )
        up(runtime, fixed, project=f"{project}-f")
        with pytest.raises(UsageError, match=f"'{project}-f-lan'"):
            up(runtime, fixed, project=other)
        assert leftovers(runtime, other) == []
    finally:
        down(runtime, f"{project}-f")
        down(runtime, other)


def test_ctrl_c_during_up_removes_everything(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    stack = make_stack(tmp_path, *six_services(busybox_image))
    with pytest.raises(Interrupted):
        up(Misbehaving(runtime, "run_healthcheck", interrupt), stack, project=project)  # type: ignore[arg-type]
    assert leftovers(runtime, project) == []


def test_down_after_a_killed_up_removes_the_leftovers(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    class Killed(BaseException):
        """What `up` sees of SIGKILL: nothing; it just stops. This stops it without cleanup."""

    calls = []

    def die_on_third_start() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise Killed

    stack = make_stack(tmp_path, *six_services(busybox_image))
    with pytest.raises(Killed):
        up(Misbehaving(runtime, "start_container", die_on_third_start), stack, project=project)  # type: ignore[arg-type]
    assert len(leftovers(runtime, project)) > 1
    result = down(runtime, project)
    assert len(result.containers) == 6
    assert leftovers(runtime, project) == []


def test_service_with_build_gets_its_own_image(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    stack = make_stack(tmp_path)
    (stack.folder / "Containerfile").write_text(f"FROM {busybox_image}\nRUN echo built > /built\n")
    built = replace(service("app", busybox_image), image=None, build=BuildConfig(context=stack.folder))
    stack = replace(stack, services={"app": built})
    try:
        result = up(runtime, stack, project=project)
        assert runtime.inspect_container(result.services[0].container).image  # it runs
        assert runtime.exec(result.services[0].container, ["cat", "/built"]).stdout == "built\n"
        assert runtime.image_exists(f"{project}-app")
    finally:
        down(runtime, project)
        if runtime.image_exists(f"{project}-app"):
            runtime.remove_image(f"{project}-app", force=True)


def test_service_whose_image_will_not_build(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    stack = make_stack(tmp_path)
    (stack.folder / "Containerfile").write_text(f"FROM {busybox_image}\nRUN echo nope; exit 7\n")
    broken = replace(service("app", busybox_image), image=None, build=BuildConfig(context=stack.folder))
    with pytest.raises(StackError) as caught:
        up(runtime, replace(stack, services={"app": broken}), project=project)
    assert caught.value.service == "app"
    assert "did not build" in caught.value.message
    assert leftovers(runtime, project) == []


def test_optional_missing_dependency_is_ignored(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    web = replace(
        service("web", busybox_image, init=True),
        depends_on=(Dependency("cache", "service_healthy", required=False),),
    )
    result = up(runtime, make_stack(tmp_path, web), project=project, wait=False)
    assert [s.service for s in result.services] == ["web"]
    assert result.waited is False
