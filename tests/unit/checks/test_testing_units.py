"""Pure parts of the pytest plugin: engine requests, skip-or-fail, ports, labels on a stack."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from toolkit.checks.project import renumber_if_clashing, stack_as_running, with_labels
from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.select import EngineChoice
from toolkit.runtime.specs import NetworkSpec
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, Stack, Volume
from toolkit.testing import plugin
from toolkit.testing.containers import listening_ports
from toolkit.testing.engines import NO_ENGINE, engines_for, in_ci, parse_request
from toolkit.testing.run import LabRun, RunOutcome

DOCKER = EngineChoice("docker", "/var/run/docker.sock", "detected")
PODMAN = EngineChoice("podman", "/run/podman/podman.sock", "detected")


def test_parse_request() -> None:
    assert parse_request(["docker"], "--lab-engine") == ["docker"]
    assert parse_request(["Podman, docker"], "x") == ["podman", "docker"]
    assert parse_request(["all", "docker"], "x") == ["all", "docker"]
    with pytest.raises(UsageError, match="unknown engine 'rkt' in --lab-engine"):
        parse_request(["rkt"], "--lab-engine")
    with pytest.raises(UsageError, match="no engine named"):
        parse_request([" , "], "x")


def test_engines_for_each_request() -> None:
    both = lambda: [DOCKER, PODMAN]  # noqa: E731
    assert engines_for(None, answering=both, default=lambda: PODMAN, ci=False) == ["podman"]
    assert engines_for(["all"], answering=both, ci=False) == ["docker", "podman"]
    assert engines_for(["all"], answering=lambda: [PODMAN], ci=False) == ["podman"]
    assert engines_for(["podman", "all"], answering=both, ci=False) == ["podman", "docker"]
    # Asked for by name: kept even if it does not answer, so its tests skip (or fail in CI).
    assert engines_for(["docker"], answering=lambda: [], ci=False) == ["docker"]
    assert engines_for(["all"], answering=lambda: [], ci=False) == [NO_ENGINE]

    def nothing() -> EngineChoice:
        raise EngineUnavailable("none")

    assert engines_for(None, answering=both, default=nothing, ci=False) == [NO_ENGINE]


def test_under_ci_all_is_every_engine_answering_or_not() -> None:
    # Locally `all` is what answers; in CI an engine that does not answer still gets its
    # tests, which then fail: a CI run cannot go green by testing one engine.
    assert engines_for(["all"], answering=lambda: [DOCKER], ci=True) == ["docker", "podman"]
    assert engines_for(["all"], answering=lambda: [], ci=True) == ["docker", "podman"]
    assert engines_for(["podman", "all"], answering=lambda: [], ci=True) == ["podman", "docker"]


def test_in_ci() -> None:
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"})
    assert not in_ci({}) and not in_ci({"CI": ""}) and not in_ci({"CI": "false"})


def test_an_absent_engine_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="podman does not answer"):
        plugin._unavailable("podman does not answer")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        plugin._unavailable("podman does not answer")


def test_listening_ports_reads_proc_net() -> None:
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
        "   1: 0100007F:0035 0100007F:A2B2 01 00000000:00000000 00:00000000 00000000     0        0 2\n"
        "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0\n"
    )
    assert listening_ports(text) == {8080, 80}  # 53 is an established connection, not a listener


def test_run_labels_and_unique_projects() -> None:
    run = LabRun(run_id="abcdef123456", owner="host:42")
    assert run.labels("p") == {
        "io.labkit.project": "p",
        "io.labkit.owner": "host:42",
        "io.labkit.run": "abcdef123456",
    }
    assert [run.unique_project("stack") for _ in range(2)] == ["stack-abcdef-1", "stack-abcdef-2"]


def lab_stack(subnet: str = "10.60.1.0/24") -> Stack:
    web = Service("web", image="img", networks=(ServiceNetwork("lan", "10.60.1.10"),))
    return Stack(
        name="ex",
        file=Path("/course/compose/ex/compose.yaml"),
        services={"web": web},
        networks={"lan": Network("lan", subnet=subnet)},
        volumes={"data": Volume("data")},
        exercise=Exercise(checks=(Check("addr", "web", ("ip", "a"), expect_output=r"10\.60\.1\.10"),)),
    )


def test_with_labels_marks_every_resource() -> None:
    marked = with_labels(lab_stack(), {"io.labkit.run": "r"})
    assert marked.services["web"].labels == {"io.labkit.run": "r"}
    assert marked.networks["lan"].labels == {"io.labkit.run": "r"}
    assert marked.volumes["data"].labels == {"io.labkit.run": "r"}


def test_renumber_only_when_the_subnet_is_taken() -> None:
    fake = FakeRuntime()
    stack = lab_stack()
    assert renumber_if_clashing(fake, stack, "p", elsewhere={}) is stack
    taken = {"the host's interface eth9": IPv4Network("10.60.1.0/24")}
    beyond = renumber_if_clashing(fake, stack, "p", elsewhere=taken).networks["lan"].subnet
    assert beyond is not None and not beyond.startswith("10.60.1.")
    fake.create_network(NetworkSpec("theirs", subnet="10.60.0.0/16", labels={"io.labkit.project": "other"}))
    moved = renumber_if_clashing(fake, stack, "p", elsewhere={})
    new_subnet = moved.networks["lan"].subnet
    assert new_subnet is not None and not new_subnet.startswith("10.60.")
    address = moved.services["web"].networks[0].ipv4_address
    assert address is not None and address.endswith(".10")
    # The checks follow the addresses.
    pattern = moved.exercise.checks[0].expect_output
    assert pattern is not None and address.replace(".", r"\.") == pattern


def test_the_projects_own_network_is_no_clash() -> None:
    fake = FakeRuntime()
    fake.create_network(
        NetworkSpec(
            "p-lan",
            subnet="10.60.1.0/24",
            labels={"io.labkit.project": "p", "io.labkit.network": "lan"},
        )
    )
    stack = lab_stack()
    assert renumber_if_clashing(fake, stack, "p", elsewhere={}) is stack


def test_stack_as_running_recovers_a_renumbered_projects_addresses() -> None:
    fake = FakeRuntime()
    labels = {"io.labkit.project": "alice", "io.labkit.network": "lan"}
    fake.create_network(NetworkSpec("alice-lan", subnet="10.200.7.0/24", labels=labels))
    running = stack_as_running(fake, lab_stack(), "alice")
    assert running.exercise.checks[0].expect_output == r"10\.200\.7\.10"
    assert stack_as_running(fake, lab_stack(), "bob") == lab_stack()


ROUTES = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
br-1\t00013C0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
"""


def test_a_subnet_the_host_routes_is_a_clash(tmp_path: Path) -> None:
    # The other engine's bridge (br-1 here) has 10.60.1.0/24: this engine does not list it,
    # yet Podman would refuse it and Docker would route it twice.
    table = tmp_path / "route"
    table.write_text(ROUTES)
    fake = FakeRuntime()
    moved = renumber_if_clashing(fake, lab_stack(), "p", routes=table, elsewhere={})
    new_subnet = moved.networks["lan"].subnet
    assert new_subnet is not None and not IPv4Network(new_subnet).overlaps(IPv4Network("10.60.1.0/24"))
    # The project's own network is not a clash with itself.
    labels = {"io.labkit.project": "p", "io.labkit.network": "lan"}
    fake.create_network(NetworkSpec("p-lan", subnet="10.60.1.0/24", labels=labels))
    assert renumber_if_clashing(fake, lab_stack(), "p", routes=table, elsewhere={}) == lab_stack()


def test_a_workers_run_outcome_travels_as_plain_data() -> None:
    from toolkit.stack.gc import GcReport, Resource

    run = LabRun(run_id="abcdef123456", owner="host:42")
    left = Resource(
        "container", "box-abcdef-1", "box-abcdef-1", "host:42", "abcdef123456", "remove", "selected"
    )
    stuck = Resource("network", "box-abcdef-1-lan", "box-abcdef-1", "host:42", "abcdef123456", "remove", "x")
    sweep = GcReport("podman", False, (left, stuck), removed=(left,), failed=((stuck, "in use"),))
    outcome = RunOutcome.of(run, [sweep])
    assert outcome.swept == ("podman container box-abcdef-1",)
    assert outcome.failed == ("podman network box-abcdef-1-lan: in use",)
    sent = outcome.to_dict()
    assert all(isinstance(value, (str, list)) for value in sent.values())
    assert RunOutcome.from_dict(sent) == outcome
