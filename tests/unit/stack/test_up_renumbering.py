"""`up` with renumbering against an in-memory engine that refuses overlapping subnets, as both
real engines do: re-up is a no-op, a subnet taken between listing and creating is retried, a
plain up that loses the race reports the clash; `describe_project` shows a project's addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

import pytest

from toolkit.errors import EngineError, NameConflict, StackError, UsageError
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import LabelSelector, NetworkInfo, NetworkSpec
from toolkit.stack.describe import describe_project, format_description
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, Stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up
from toolkit.stack.placement import Renumbering

IMAGE = "lab/host:1"


class OverlapRefusingRuntime(FakeRuntime):
    """The fake engine, which refuses a subnet that overlaps another network's as both real
    engines do (Docker's 403 "Pool overlaps", Podman's "already used"), counting its refusals
    and able to let a rival act right after a listing."""

    def __init__(self) -> None:
        super().__init__()
        self.after_listing: list[Callable[[], None]] = []  # each runs once, after one full listing
        self.refusals = 0

    def create_network(self, spec: NetworkSpec) -> NetworkInfo:
        try:
            return super().create_network(spec)
        except NameConflict:
            raise
        except EngineError:
            self.refusals += 1
            raise

    def list_networks(self, labels: LabelSelector) -> list[NetworkInfo]:
        found = super().list_networks(labels)
        if not labels and self.after_listing:
            self.after_listing.pop(0)()
        return found


def routing(tmp_path: Path) -> Stack:
    return Stack(
        name="routing",
        file=tmp_path / "routing" / "compose.yaml",
        services={
            "router": Service(
                "router",
                image=IMAGE,
                networks=(ServiceNetwork("lan1", "10.30.1.254"), ServiceNetwork("lan2", "10.30.2.254")),
            ),
            "host1": Service("host1", image=IMAGE, networks=(ServiceNetwork("lan1", "10.30.1.10"),)),
        },
        networks={
            "lan1": Network("lan1", subnet="10.30.1.0/24", gateway="10.30.1.1"),
            "lan2": Network("lan2", subnet="10.30.2.0/24", gateway="10.30.2.1"),
        },
        volumes={},
        exercise=Exercise(
            title="Routing",
            description="host1 (10.30.1.10) reaches 10.30.2.0/24 via 10.30.1.254.",
            checks=(Check("ping", "host1", ("ping", "-c1", "10.30.2.254")),),
        ),
    )


@pytest.fixture
def engine() -> OverlapRefusingRuntime:
    fake = OverlapRefusingRuntime()
    fake.add_image(IMAGE)
    return fake


def project_subnets(engine: FakeRuntime, project: str) -> dict[str, str | None]:
    return {
        n.labels["io.labkit.network"]: n.subnet for n in engine.list_networks({"io.labkit.project": project})
    }


def test_a_renumbered_project_gets_its_own_subnets_and_re_up_changes_nothing(
    engine: OverlapRefusingRuntime, tmp_path: Path
) -> None:
    stack = routing(tmp_path)
    up(engine, stack, project="alice")
    first = up(engine, stack, project="bob", renumbering=Renumbering())
    subnets = project_subnets(engine, "bob")
    assert subnets["lan1"] != "10.30.1.0/24" and subnets["lan2"] != "10.30.2.0/24"
    host1 = next(s for s in first.services if s.service == "host1")
    lan1 = ipaddress.ip_network(subnets["lan1"] or "")
    assert ipaddress.ip_address(host1.ips["lan1"]) == lan1.network_address + 10
    again = up(engine, stack, project="bob", renumbering=Renumbering())
    assert not again.changed
    plain = up(engine, stack, project="bob")  # without renumbering: the project keeps its subnets
    assert not plain.changed
    assert project_subnets(engine, "bob") == subnets


def test_a_subnet_taken_between_listing_and_creating_is_retried(
    engine: OverlapRefusingRuntime, tmp_path: Path
) -> None:
    stack = routing(tmp_path)
    # What bob would pick at the first attempt, found on an engine that is otherwise the same.
    probe = OverlapRefusingRuntime()
    probe.add_image(IMAGE)
    up(probe, stack, project="bob", renumbering=Renumbering())
    first_pick = project_subnets(probe, "bob")

    def rival() -> None:  # another process creates a network on bob's first pick, just too late
        engine.create_network(NetworkSpec(name="rival", subnet=first_pick["lan2"]))

    engine.after_listing.append(rival)
    events: list[str] = []
    up(engine, stack, project="bob", renumbering=Renumbering(), on_event=lambda e: events.append(e.detail))
    assert engine.refusals == 1
    settled = project_subnets(engine, "bob")
    assert settled["lan2"] != first_pick["lan2"]
    assert sorted(n.name for n in engine.list_networks({})) == ["bob-lan1", "bob-lan2", "rival"]
    assert any("trying other subnets" in detail for detail in events)


def test_retries_are_bounded(engine: OverlapRefusingRuntime, tmp_path: Path) -> None:
    stack = routing(tmp_path)
    # Every pick overlaps this network, which no listing shows (the other engine's, say).
    hidden = NetworkInfo("x", "hidden", "10.128.0.0/9", None, False, {})
    engine.networks["hidden"] = hidden
    original = engine.list_networks
    engine.list_networks = lambda labels: [n for n in original(labels) if n.name != "hidden"]  # type: ignore[method-assign]
    with pytest.raises(StackError, match="refused the free subnets picked for it 3 times"):
        up(engine, stack, project="bob", renumbering=Renumbering(attempts=3))
    assert engine.refusals == 3
    assert set(engine.networks) == {"hidden"}
    assert not engine.containers


def test_a_plain_up_that_loses_the_race_reports_the_clash(
    engine: OverlapRefusingRuntime, tmp_path: Path
) -> None:
    stack = routing(tmp_path)
    engine.after_listing.append(
        lambda: engine.create_network(
            NetworkSpec(name="alice-lan1", subnet="10.30.1.0/24", labels={"io.labkit.project": "alice"})
        )
    )
    with pytest.raises(UsageError, match="of project 'bob' overlaps network 'alice-lan1'.*--renumber"):
        up(engine, stack, project="bob")
    assert set(engine.networks) == {"alice-lan1"}


def test_describe_shows_the_projects_addresses_or_the_declared_ones(
    engine: OverlapRefusingRuntime, tmp_path: Path
) -> None:
    stack = routing(tmp_path)
    up(engine, stack, project="alice")
    up(engine, stack, project="bob", renumbering=Renumbering())
    lan1 = ipaddress.ip_network(project_subnets(engine, "bob")["lan1"] or "")
    bob = describe_project(engine, stack, "bob")
    assert bob.up is True and bob.renumbered is True and bob.engine == "docker"
    lan2 = project_subnets(engine, "bob")["lan2"]
    host1, router = lan1.network_address + 10, lan1.network_address + 254
    assert bob.description == f"host1 ({host1}) reaches {lan2} via {router}."
    assert format_description(bob).startswith("Routing (project bob, up on docker, renumbered)\n")

    alice = describe_project(engine, stack, "alice")
    assert (alice.up, alice.renumbered) == (True, False)
    assert alice.networks[0].subnet == "10.30.1.0/24"

    down(engine, "bob")
    gone = describe_project(engine, stack, "bob")
    assert (gone.up, gone.renumbered) == (False, False)
    assert gone.networks[0].subnet == "10.30.1.0/24"
    header = format_description(gone).splitlines()[0]
    assert header == "Routing (project bob, not up on docker, declared addresses)"
    offline = describe_project(None, stack, "bob")
    assert offline.engine is None and offline.project == "bob"
    assert format_description(offline).startswith("Routing (project bob)\n")
