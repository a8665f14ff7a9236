"""Engine contract, containers: lifecycle, exec, logs, health, mounts, limits (see test_contract.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import needs_engine, on_fake_and_engines
from tests.engine.test_contract import Lab, lab_fixture, run, wait_for  # noqa: F401 (a fixture)
from toolkit.errors import ContainerNotFound, EngineError, ExecTimeout, NotFound
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerState, HealthcheckSpec, Mount, Ulimit

pytestmark = [pytest.mark.engine, on_fake_and_engines]

MiB = 1024 * 1024


@needs_engine("the output of a real command")
def test_exec_exit_code_and_separate_streams(runtime: Runtime, lab: Lab) -> None:
    container = lab.container()

    result = runtime.exec(container, ["sh", "-c", "echo to-out; echo to-err >&2; exit 7"])

    assert (result.exit_code, result.ok) == (7, False)
    assert result.stdout == "to-out\n"
    assert result.stderr == "to-err\n"
    assert runtime.exec(container, ["true"]).ok


@needs_engine("the output of a real command")
def test_exec_env_workdir_and_user(runtime: Runtime, lab: Lab) -> None:
    container = lab.container()

    result = runtime.exec(
        container,
        ["sh", "-c", "echo $GREETING; pwd; id -u"],
        env={"GREETING": "hi there"},
        workdir="/tmp",
        user="nobody",
    )

    assert result.stdout.split("\n")[:3] == ["hi there", "/tmp", "65534"]


@needs_engine("a real command that hangs")
@pytest.mark.timeout(60)  # the bound: a hanging exec fails the test instead of the suite
def test_exec_timeout_raises_and_kills_the_command(runtime: Runtime, lab: Lab) -> None:
    container = lab.container()

    with pytest.raises(ExecTimeout) as caught:
        runtime.exec(container, ["sh", "-c", "echo started; sleep 737; echo never"], timeout=1)

    assert caught.value.timeout == 1
    # The timed-out command is gone (zombies have an empty cmdline and do not count).
    survivors = run(
        runtime,
        container,
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done | grep -c 'sleep 73[7]' || true",
    )
    assert survivors == "0"


@needs_engine("the output and exit of a real process")
def test_logs_tail_follow_and_the_exit_code(runtime: Runtime, lab: Lab) -> None:
    script = "echo oops >&2; for i in 1 2 3 4 5; do echo line$i; done; sleep 1; exit 3"
    container = lab.container(command=("sh", "-c", script))

    followed = list(runtime.container_logs(container, follow=True))  # ends when it exits

    assert sorted(followed) == ["line1", "line2", "line3", "line4", "line5", "oops"]
    # How stdout and stderr interleave is the engine's business; the tail is the log's end.
    everything = list(runtime.container_logs(container))
    assert sorted(everything) == sorted(followed)
    assert list(runtime.container_logs(container, tail=2)) == everything[-2:]
    assert list(runtime.container_logs(container, tail=0)) == []
    assert wait_for(lambda: runtime.inspect_container(container).state is ContainerState.EXITED)
    exited = runtime.inspect_container(container)
    assert (exited.state, exited.exit_code, exited.running) == (ContainerState.EXITED, 3, False)


def test_stop_kill_remove_and_list_by_label(runtime: Runtime, lab: Lab) -> None:
    stopped = lab.container("stopped", labels={"io.labkit.role": "web"})
    killed = lab.container("killed")
    created = lab.container("created", start=False)
    project = {"io.labkit.project": lab.prefix}

    listed = {c.name: c for c in runtime.list_containers(project)}
    assert set(listed) == {lab.name("stopped"), lab.name("killed"), lab.name("created")}
    assert listed[lab.name("killed")].running
    assert listed[lab.name("killed")].exit_code is None
    assert listed[lab.name("created")].state is ContainerState.CREATED
    assert listed[lab.name("stopped")].labels["io.labkit.role"] == "web"
    assert [c.name for c in runtime.list_containers({**project, "io.labkit.role": None})] == [
        lab.name("stopped")
    ]
    assert {c.name for c in runtime.list_containers(project, all=False)} == {
        lab.name("stopped"),
        lab.name("killed"),
    }

    runtime.stop_container(stopped, timeout=5)
    runtime.kill_container(killed)

    assert runtime.inspect_container(stopped).state is ContainerState.EXITED
    assert wait_for(lambda: runtime.inspect_container(killed).state is ContainerState.EXITED)
    assert runtime.inspect_container(killed).exit_code == 137  # 128 + SIGKILL
    runtime.remove_container(stopped, force=False)
    runtime.remove_container(killed)
    runtime.remove_container(created)
    for gone in (stopped, killed, created):
        with pytest.raises(ContainerNotFound):
            runtime.inspect_container(gone)
    assert runtime.list_containers(project) == []


@needs_engine("the output of a real probe")
def test_a_passing_healthcheck_is_healthy_when_probed(runtime: Runtime, lab: Lab) -> None:
    check = HealthcheckSpec(test=("CMD-SHELL", "test -d /tmp && echo fine"), interval=30.0)
    container = lab.container(healthcheck=check)

    probe = runtime.run_healthcheck(container)

    assert (probe.passed, probe.exit_code) == (True, 0)
    assert "fine" in probe.output
    assert runtime.inspect_container(container).health == "healthy"


@needs_engine("the output of a real probe")
def test_a_failing_healthcheck_is_not_healthy(runtime: Runtime, lab: Lab) -> None:
    check = HealthcheckSpec(test=("CMD", "sh", "-c", "echo broken; exit 1"), interval=30.0)
    container = lab.container(healthcheck=check)

    probe = runtime.run_healthcheck(container)

    assert (probe.passed, probe.exit_code) == (False, 1)
    assert "broken" in probe.output
    assert runtime.inspect_container(container).health in ("starting", "unhealthy")


@needs_engine("a real probe, run or not")
def test_listing_without_health_runs_no_probe(runtime: Runtime, lab: Lab) -> None:
    lab.container(healthcheck=HealthcheckSpec(test=("CMD", "true"), interval=60.0))
    project = {"io.labkit.project": lab.prefix}

    [unprobed] = runtime.list_containers(project, health=False)
    assert unprobed.health == "starting"  # no probe yet: the engine's first is 60 s away
    [probed] = runtime.list_containers(project)
    assert probed.health == "healthy"
    # A passed probe counts for one interval, as one of the engine's own would.
    [remembered] = runtime.list_containers(project, health=False)
    assert remembered.health == "healthy"


def test_no_healthcheck_means_no_health(runtime: Runtime, lab: Lab) -> None:
    container = lab.container()
    disabled = lab.container("disabled", healthcheck=HealthcheckSpec(test=("NONE",)))

    assert runtime.inspect_container(container).health is None
    assert runtime.inspect_container(disabled).health is None


@needs_engine("real mounts")
def test_bind_volume_and_tmpfs_mounts(runtime: Runtime, lab: Lab, tmp_path: Path) -> None:
    (tmp_path / "from-host.txt").write_text("host data\n")
    volume = lab.volume()
    container = lab.container(
        read_only=True,
        mounts=(
            Mount(kind="bind", source=str(tmp_path), target="/host", read_only=True),
            Mount(kind="volume", source=volume, target="/data"),
            Mount(kind="tmpfs", target="/scratch"),
        ),
    )

    assert run(runtime, container, "cat /host/from-host.txt") == "host data"
    assert runtime.exec(container, ["touch", "/host/new"]).exit_code != 0  # read-only bind
    assert runtime.exec(container, ["touch", "/rootfs-file"]).exit_code != 0  # read_only root
    run(runtime, container, "echo v > /data/v && echo s > /scratch/s")
    assert run(runtime, container, "grep -c ' /scratch tmpfs ' /proc/mounts") == "1"


@needs_engine("what a real container sees")
def test_spec_fields_reach_the_container(runtime: Runtime, lab: Lab) -> None:
    container = lab.container(
        hostname="lab-host",
        entrypoint=("sh", "-c"),
        command=("echo $GREETING > /tmp/started; exec sleep 3600",),
        environment={"GREETING": "from-env"},
        working_dir="/tmp",
        user="nobody",
        dns=("10.1.2.3",),
        extra_hosts=(("gateway.lab", "10.9.8.7"),),
    )

    assert run(runtime, container, "hostname") == "lab-host"
    assert wait_for(lambda: runtime.exec(container, ["test", "-s", "/tmp/started"]).ok, 50)
    assert run(runtime, container, "cat /tmp/started; pwd; id -u") == "from-env\n/tmp\n65534"
    assert "nameserver 10.1.2.3" in run(runtime, container, "cat /etc/resolv.conf")
    assert "10.9.8.7" in run(runtime, container, "grep gateway.lab /etc/hosts")
    assert run(runtime, container, "cat /proc/1/comm") != "sleep"  # init is PID 1


@needs_engine("real kernel settings and cgroups")
def test_sysctls_capabilities_and_limits(runtime: Runtime, lab: Lab) -> None:
    container = lab.container(
        sysctls={"net.ipv4.ip_forward": "1"},
        cap_add=("NET_ADMIN",),
        cap_drop=("CHOWN",),
        mem_limit=64 * MiB,
        cpus=0.5,
        pids_limit=64,
        ulimits=(Ulimit("nofile", 1024, 2048),),
    )

    assert run(runtime, container, "cat /proc/sys/net/ipv4/ip_forward") == "1"
    status = run(runtime, container, "grep CapEff /proc/self/status")
    effective = int(status.split()[1], 16)
    assert effective & (1 << 12)  # CAP_NET_ADMIN
    assert not effective & (1 << 0)  # CAP_CHOWN
    memory = run(
        runtime,
        container,
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
    )
    assert int(memory) == 64 * MiB
    pids = run(
        runtime,
        container,
        "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
    )
    assert pids == "64"
    quota, period = run(
        runtime,
        container,
        "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null"
        " || cat /sys/fs/cgroup/cpu.max",
    ).split()
    assert int(quota) / int(period) == 0.5
    # The container's own processes: Podman 4.3 raises an exec session's soft nofile to the hard.
    limits = run(runtime, container, "grep 'Max open files' /proc/1/limits").split()
    assert limits[3:5] == ["1024", "2048"]


def test_stopping_a_container_that_is_not_running_keeps_its_state(runtime: Runtime, lab: Lab) -> None:
    killed = lab.container("killed")
    created = lab.container("created", start=False)
    runtime.kill_container(killed)
    assert wait_for(lambda: runtime.inspect_container(killed).state is ContainerState.EXITED)

    runtime.stop_container(killed)
    runtime.stop_container(created)

    after = runtime.inspect_container(killed)
    assert (after.state, after.exit_code) == (ContainerState.EXITED, 137)
    never_started = runtime.inspect_container(created)
    assert (never_started.state, never_started.exit_code) == (ContainerState.CREATED, None)
    for not_running in (killed, created):
        with pytest.raises(EngineError) as caught:
            runtime.kill_container(not_running)
        assert not isinstance(caught.value, NotFound)
