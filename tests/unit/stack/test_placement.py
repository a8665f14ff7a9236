"""Which subnets a project's networks get: kept, declared (clashes refused) or renumbered."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from toolkit.errors import StackError, UsageError
from toolkit.runtime.specs import NetworkInfo
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, Stack
from toolkit.stack.placement import Renumbering, check_names, place, project_subnets
from toolkit.stack.renumber import DEFAULT_POOL, SubnetMapping

LAN1 = IPv4Network("10.30.1.0/24")
LAN2 = IPv4Network("10.30.2.0/24")


def routing(name: str = "routing") -> Stack:
    return Stack(
        name=name,
        file=Path("/course/compose/routing/compose.yaml"),
        services={
            "router": Service(
                "router",
                image="labkit/netlab",
                networks=(ServiceNetwork("lan1", "10.30.1.254"), ServiceNetwork("lan2", "10.30.2.254")),
            ),
            "host1": Service(
                "host1", image="labkit/netlab", networks=(ServiceNetwork("lan1", "10.30.1.10"),)
            ),
        },
        networks={
            "lan1": Network("lan1", subnet=str(LAN1), gateway="10.30.1.1"),
            "lan2": Network("lan2", subnet=str(LAN2), gateway="10.30.2.1"),
        },
        volumes={},
        exercise=Exercise(
            title="Routing",
            checks=(Check("ping", "host1", ("ping", "-c1", "10.30.2.10")),),
        ),
    )


def network(name: str, subnet: str | None, project: str | None = None, key: str | None = None) -> NetworkInfo:
    labels = {}
    if project is not None:
        labels["io.labkit.project"] = project
    if key is not None:
        labels["io.labkit.network"] = key
    return NetworkInfo(id=name, name=name, subnet=subnet, gateway=None, internal=False, labels=labels)


def subnets_of(stack: Stack) -> dict[str, IPv4Network]:
    return {key: IPv4Network(n.subnet) for key, n in stack.networks.items() if n.subnet}


# ---------------------------------------------------------------- without renumbering


def test_a_fresh_project_gets_the_declared_subnets() -> None:
    placed = place(routing(), "alice", [network("bridge", "172.17.0.0/16")])
    assert placed.stack == routing()
    assert placed.mapping == SubnetMapping()
    assert placed.picked == frozenset()


def test_a_clash_names_the_p_project_both_networks_and_the_way_out() -> None:
    engine = [network("bob-lan1", str(LAN1), "bob", "lan1"), network("bob-lan2", str(LAN2), "bob", "lan2")]
    with pytest.raises(UsageError) as caught:
        place(routing(), "alice", engine)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "network 'lan1' (10.30.1.0/24) of project 'alice' overlaps network 'bob-lan1' (10.30.1.0/24) "
        "on the engine (and 1 more overlap): run with --renumber to give this project its own subnets"
    )


def test_a_renumbered_project_keeps_its_subnets_on_a_plain_up() -> None:
    # Another project holds the declared subnets: no clash, alice's networks exist already.
    engine = [
        network("bob-lan1", str(LAN1), "bob", "lan1"),
        network("alice-lan1", "10.140.7.0/24", "alice", "lan1"),
        network("alice-lan2", "10.140.8.0/24", "alice", "lan2"),
    ]
    placed = place(routing(), "alice", engine)
    assert subnets_of(placed.stack) == {
        "lan1": IPv4Network("10.140.7.0/24"),
        "lan2": IPv4Network("10.140.8.0/24"),
    }
    assert placed.stack.exercise.checks[0].run == ("ping", "-c1", "10.140.8.10")
    assert placed.picked == frozenset()


# ---------------------------------------------------------------- renumbering


def test_renumbering_picks_free_subnets_of_the_same_size_from_the_pool() -> None:
    taken = [network("bob-lan1", str(LAN1), "bob", "lan1"), network("other", "10.128.0.0/10")]
    placed = place(routing(), "alice", taken, Renumbering())
    new = subnets_of(placed.stack)
    assert set(new) == {"lan1", "lan2"}
    for key, subnet in new.items():
        assert subnet.prefixlen == 24 and subnet.subnet_of(DEFAULT_POOL)
        assert not subnet.overlaps(IPv4Network("10.128.0.0/10"))
        assert subnet not in (LAN1, LAN2), key
    assert placed.picked == frozenset(new.values())
    assert placed.stack.services["router"].networks[0].ipv4_address == f"{new['lan1'].network_address + 254}"
    assert placed.stack.networks["lan2"].gateway == f"{new['lan2'].network_address + 1}"


def test_renumbering_avoids_the_subnets_of_the_other_engine() -> None:
    first = place(routing(), "alice", [], Renumbering())
    elsewhere = tuple(first.picked)
    second = place(routing(), "alice", [], Renumbering(taken_elsewhere=elsewhere))
    assert not any(a.overlaps(b) for a in second.picked for b in elsewhere)


def test_the_next_skip_picks_other_subnets() -> None:
    first = place(routing(), "alice", [], Renumbering(), skip=0)
    retry = place(routing(), "alice", [], Renumbering(), skip=1)
    assert first.picked.isdisjoint(retry.picked)
    assert place(routing(), "alice", [], Renumbering(), skip=1) == retry


def test_the_pool_search_starts_from_the_project_name_not_the_stack_name() -> None:
    alice = place(routing("routing"), "alice", [], Renumbering())
    assert place(routing("something-else"), "alice", [], Renumbering()).picked == alice.picked
    assert place(routing("routing"), "bob", [], Renumbering()).picked != alice.picked


def test_an_up_project_keeps_its_mapping_with_renumber_so_re_up_changes_nothing() -> None:
    first = place(routing(), "alice", [], Renumbering())
    engine = [
        network(f"alice-{key}", str(subnet), "alice", key) for key, subnet in subnets_of(first.stack).items()
    ]
    again = place(routing(), "alice", engine, Renumbering(), skip=3)
    assert again.stack == first.stack
    assert again.mapping == first.mapping
    assert again.picked == frozenset()


def test_a_project_up_with_the_declared_subnets_keeps_them_with_renumber() -> None:
    engine = [
        network("alice-lan1", str(LAN1), "alice", "lan1"),
        network("alice-lan2", str(LAN2), "alice", "lan2"),
    ]
    placed = place(routing(), "alice", engine, Renumbering())
    assert placed.stack == routing()
    assert placed.picked == frozenset()


def test_a_missing_network_is_renumbered_next_to_the_kept_one() -> None:
    engine = [network("alice-lan1", "10.140.7.0/24", "alice", "lan1"), network("x", "10.140.8.0/24")]
    placed = place(routing(), "alice", engine, Renumbering())
    new = subnets_of(placed.stack)
    assert new["lan1"] == IPv4Network("10.140.7.0/24")
    assert new["lan2"].prefixlen == 24
    assert not new["lan2"].overlaps(IPv4Network("10.140.8.0/24"))
    assert new["lan2"] != new["lan1"]
    assert placed.picked == frozenset({new["lan2"]})


def test_a_network_that_changed_size_on_the_engine_is_refused() -> None:
    with pytest.raises(UsageError, match="bring the project down and up again"):
        place(routing(), "alice", [network("alice-lan1", "10.140.0.0/16", "alice", "lan1")], Renumbering())


# ---------------------------------------------------------------- helpers


def test_project_subnets_reads_the_projects_own_networks_by_key() -> None:
    engine = [
        network("alice-lan1", "10.140.7.0/24", "alice", "lan1"),
        network("alice-none", None, "alice", "none"),
        network("bob-lan1", "10.150.7.0/24", "bob", "lan1"),
        network("unlabelled", "10.160.7.0/24", "alice"),
    ]
    assert project_subnets(engine, "alice") == {"lan1": IPv4Network("10.140.7.0/24")}


def test_check_names_refuses_a_name_held_by_someone_else() -> None:
    check_names("alice", ["alice-lan1"], [network("alice-lan1", None, "alice", "lan1")])
    with pytest.raises(StackError, match=r"network alice-lan1 exists already \(labkit project bob\)"):
        check_names("alice", ["alice-lan1"], [network("alice-lan1", None, "bob", "lan1")])
    with pytest.raises(StackError, match=r"\(not labkit's\)"):
        check_names("alice", ["alice-lan1"], [network("alice-lan1", None)])
