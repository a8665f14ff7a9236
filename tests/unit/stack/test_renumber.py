"""Per-project renumbering: planning free subnets, one mapping applied everywhere, clashes."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.errors import ToolkitError, UsageError
from toolkit.runtime.specs import HealthcheckSpec, NetworkInfo
from toolkit.stack.model import (
    BuildConfig,
    Check,
    Exercise,
    Network,
    PortMapping,
    Service,
    ServiceNetwork,
    SolutionStep,
    Stack,
)
from toolkit.stack.renumber import (
    DEFAULT_POOL,
    POOL_ENV,
    Clash,
    SubnetMapping,
    apply_renumbering,
    clash_error,
    declared_subnets,
    engine_subnets,
    find_clashes,
    parse_pool,
    plan_renumbering,
    recover_mapping,
    resolve_pool,
)

LAN1 = IPv4Network("10.10.1.0/24")
LAN2 = IPv4Network("10.10.2.0/24")
NEW1 = IPv4Network("10.200.7.0/24")
NEW2 = IPv4Network("10.200.8.0/24")
MAPPING = SubnetMapping({LAN1: NEW1, LAN2: NEW2})


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


def routing_stack(project: str = "alice") -> Stack:
    """Two /24 LANs joined by a router, with addresses in every field that can hold one."""
    router = Service(
        name="router",
        image="lab/router",
        networks=(ServiceNetwork("lan1", "10.10.1.1"), ServiceNetwork("lan2", "10.10.2.1")),
        environment={"LANS": "10.10.1.0/24 10.10.2.0/24", "ROLE": "router", "PEER": "10.10.2.20"},
        command=("/bin/sh", "-c", "sysctl -w net.ipv4.ip_forward=1 && exec sleep infinity"),
        healthcheck=HealthcheckSpec(test=("CMD-SHELL", "ping -c1 -W1 10.10.2.20 && ping -c1 10.10.1.10")),
        cap_add=("NET_ADMIN",),
        labels={"course.note": "router at 10.10.1.1"},
        ports=(PortMapping(target=80, published=8080, host_ip="10.10.1.1"),),
    )
    pc1 = Service(
        name="pc1",
        build=BuildConfig(context=Path("/labs/routing/pc"), args={"GW": "10.10.1.1"}),
        networks=(ServiceNetwork("lan1", "10.10.1.10", aliases=("client",)), ServiceNetwork("mgmt")),
        command=("/bin/sh", "-c", "ip route add 10.10.2.0/24 via 10.10.1.1 && exec sleep infinity"),
        entrypoint=("/entry.sh", "--gateway", "10.10.1.1"),
        extra_hosts=(("pc2", "10.10.2.20"), ("host", "host-gateway")),
        dns=("10.10.1.1", "9.9.9.9"),
        hostname="pc1.lab",
    )
    pc2 = Service(
        name="pc2",
        image="lab/pc",
        networks=(ServiceNetwork("lan2", "10.10.2.20"),),
        environment={"GATEWAY": "10.10.2.1", "NOT_OURS": "10.10.1.100.5 110.10.1.1 10.10.3.1"},
        healthcheck=HealthcheckSpec(test=("CMD", "ping", "-c1", "10.10.2.1")),
    )
    return Stack(
        name=project,
        file=Path("/labs/routing/compose.yaml"),
        services={"router": router, "pc1": pc1, "pc2": pc2},
        networks={
            "lan1": Network("lan1", subnet="10.10.1.0/24", gateway="10.10.1.254"),
            "lan2": Network("lan2", subnet="10.10.2.0/24", gateway="10.10.2.254", internal=True),
            "mgmt": Network("mgmt"),
        },
        volumes={},
        exercise=Exercise(
            title="Routing between 10.10.1.0/24 and 10.10.2.0/24",
            description="pc1 (10.10.1.10) must reach pc2 (10.10.2.20) through the router 10.10.1.1.",
            checks=(
                Check("pc1-reaches-pc2", "pc1", ("ping", "-c1", "-W1", "10.10.2.20")),
                Check(
                    "route-present",
                    "pc1",
                    ("/bin/sh", "-c", "ip route show 10.10.2.0/24"),
                    expect_output=r"10\.10\.2\.0/24 via 10\.10\.1\.1",
                ),
            ),
            solution=(SolutionStep("pc1", ("ip", "route", "add", "10.10.2.0/24", "via", "10.10.1.1")),),
        ),
    )


def sized_stack(*subnets: str, project: str = "alice") -> Stack:
    networks = {f"net{index}": Network(f"net{index}", subnet=text) for index, text in enumerate(subnets)}
    return Stack(name=project, file=Path("/labs/x/compose.yaml"), services={}, networks=networks, volumes={})


# ---------------------------------------------------------------- applying one mapping


def test_apply_rewrites_every_address_field_of_the_routing_stack() -> None:
    renumbered = apply_renumbering(routing_stack(), MAPPING)
    router, pc1, pc2 = (renumbered.services[name] for name in ("router", "pc1", "pc2"))

    assert renumbered.networks["lan1"] == Network("lan1", subnet="10.200.7.0/24", gateway="10.200.7.254")
    assert renumbered.networks["lan2"] == Network(
        "lan2", subnet="10.200.8.0/24", gateway="10.200.8.254", internal=True
    )
    assert renumbered.networks["mgmt"] == Network("mgmt")

    assert router.networks == (ServiceNetwork("lan1", "10.200.7.1"), ServiceNetwork("lan2", "10.200.8.1"))
    assert pc1.networks == (
        ServiceNetwork("lan1", "10.200.7.10", aliases=("client",)),
        ServiceNetwork("mgmt"),
    )
    assert pc2.networks == (ServiceNetwork("lan2", "10.200.8.20"),)

    assert router.environment == {
        "LANS": "10.200.7.0/24 10.200.8.0/24",
        "ROLE": "router",
        "PEER": "10.200.8.20",
    }
    assert pc2.environment["GATEWAY"] == "10.200.8.1"
    assert router.healthcheck == HealthcheckSpec(
        test=("CMD-SHELL", "ping -c1 -W1 10.200.8.20 && ping -c1 10.200.7.10")
    )
    assert pc2.healthcheck == HealthcheckSpec(test=("CMD", "ping", "-c1", "10.200.8.1"))
    assert pc1.command == (
        "/bin/sh",
        "-c",
        "ip route add 10.200.8.0/24 via 10.200.7.1 && exec sleep infinity",
    )
    assert pc1.entrypoint == ("/entry.sh", "--gateway", "10.200.7.1")
    assert pc1.extra_hosts == (("pc2", "10.200.8.20"), ("host", "host-gateway"))
    assert pc1.dns == ("10.200.7.1", "9.9.9.9")

    exercise = renumbered.exercise
    assert exercise.title == "Routing between 10.200.7.0/24 and 10.200.8.0/24"
    assert exercise.description == (
        "pc1 (10.200.7.10) must reach pc2 (10.200.8.20) through the router 10.200.7.1."
    )
    assert exercise.checks[0].run == ("ping", "-c1", "-W1", "10.200.8.20")
    assert exercise.checks[1].run == ("/bin/sh", "-c", "ip route show 10.200.8.0/24")
    assert exercise.checks[1].expect_output == r"10\.200\.8\.0/24 via 10\.200\.7\.1"
    assert exercise.solution[0].run == ("ip", "route", "add", "10.200.8.0/24", "via", "10.200.7.1")


def test_apply_leaves_other_fields_and_look_alike_tokens_alone() -> None:
    original = routing_stack()
    renumbered = apply_renumbering(original, MAPPING)
    router, pc1, pc2 = (renumbered.services[name] for name in ("router", "pc1", "pc2"))

    # Not addresses of a renumbered subnet, or not in a field renumbering owns.
    assert pc2.environment["NOT_OURS"] == "10.10.1.100.5 110.10.1.1 10.10.3.1"
    assert router.command == original.services["router"].command
    assert router.labels == {"course.note": "router at 10.10.1.1"}
    assert router.ports == original.services["router"].ports  # host_ip is a host address
    assert pc1.build == original.services["pc1"].build  # build args shape the shared image
    assert pc1.hostname == "pc1.lab"
    assert router.cap_add == ("NET_ADMIN",)
    assert (renumbered.name, renumbered.file, renumbered.volumes) == (original.name, original.file, {})
    assert list(renumbered.services) == ["router", "pc1", "pc2"]


def test_apply_returns_a_new_stack_and_leaves_the_original_unchanged() -> None:
    original = routing_stack()
    before = repr(original)
    renumbered = apply_renumbering(original, MAPPING)
    assert renumbered is not original
    assert repr(original) == before


def test_apply_with_an_empty_mapping_is_the_identity() -> None:
    stack = routing_stack()
    assert apply_renumbering(stack, SubnetMapping()) is stack


def test_one_mapping_swaps_subnets_without_chaining() -> None:
    swap = SubnetMapping({LAN1: LAN2, LAN2: LAN1})
    assert (
        swap.map_text("ip route add 10.10.2.0/24 via 10.10.1.1") == "ip route add 10.10.1.0/24 via 10.10.2.1"
    )


# ---------------------------------------------------------------- token-exact text mapping


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.10.1.1", "10.200.7.1"),
        ("10.10.1.10", "10.200.7.10"),
        ("10.10.1.255", "10.200.7.255"),
        ("gw=10.10.1.1;", "gw=10.200.7.1;"),
        ("the router is 10.10.1.1.", "the router is 10.200.7.1."),
        ("(10.10.1.1)", "(10.200.7.1)"),
        ("10.10.1.1:8080", "10.200.7.1:8080"),
        ("http://10.10.1.1/index.html", "http://10.200.7.1/index.html"),
        ("10.10.1.1,10.10.2.2 10.10.1.3", "10.200.7.1,10.200.8.2 10.200.7.3"),
        ("10.10.2.0/24", "10.200.8.0/24"),
        ("10.10.1.5/24", "10.200.7.5/24"),
        ("10.10.1.128/25", "10.200.7.128/25"),
        ("10.10.1.7/32", "10.200.7.7/32"),
        (r"10\.10\.1\.1", r"10\.200\.7\.1"),
        (r"^10\.10\.2\.0/24 via 10\.10\.1\.1$", r"^10\.200\.8\.0/24 via 10\.200\.7\.1$"),
        # Look-alikes that are not addresses of a renumbered subnet.
        ("110.10.1.1", "110.10.1.1"),
        ("10.10.1.1.5", "10.10.1.1.5"),
        ("1.10.10.1.1", "1.10.10.1.1"),
        ("210.10.1.10", "210.10.1.10"),
        ("10.10.1.1000", "10.10.1.1000"),
        ("10.10.1.300", "10.10.1.300"),
        ("10.10.01.1", "10.10.01.1"),
        ("10.10.3.1", "10.10.3.1"),
        ("10.10.0.0/16", "10.10.0.0/16"),
        ("10.10.1.0/16", "10.10.1.0/16"),
        ("v1.10.10.1", "v1.10.10.1"),
        ("no address here", "no address here"),
        ("", ""),
    ],
)
def test_map_text_is_token_exact(text: str, expected: str) -> None:
    assert MAPPING.map_text(text) == expected


def test_a_small_subnet_does_not_swallow_longer_look_alikes() -> None:
    # 10.10.1.0/28 holds .0-.15: a plain string replace of "10.10.1.1" would break 10.10.1.100.
    mapping = SubnetMapping({net("10.10.1.0/28"): net("10.99.0.16/28")})
    assert mapping.map_text("10.10.1.1 10.10.1.15 10.10.1.16 10.10.1.100") == (
        "10.99.0.17 10.99.0.31 10.10.1.16 10.10.1.100"
    )


def test_map_address_and_map_subnet_leave_non_addresses_alone() -> None:
    assert MAPPING.map_address("10.10.2.9") == "10.200.8.9"
    assert MAPPING.map_address("10.10.9.9") == "10.10.9.9"
    assert MAPPING.map_address("host-gateway") == "host-gateway"
    assert MAPPING.map_subnet("10.10.1.0/24") == "10.200.7.0/24"
    assert MAPPING.map_subnet("10.10.0.0/16") == "10.10.0.0/16"
    assert MAPPING.map_subnet("fd00::/64") == "fd00::/64"
    assert MAPPING.map_subnet("nonsense") == "nonsense"


def test_nested_subnets_map_through_the_most_specific_one() -> None:
    mapping = SubnetMapping({net("10.10.0.0/16"): net("10.150.0.0/16"), LAN1: NEW1})
    assert mapping.map_text("10.10.1.5 10.10.2.5") == "10.200.7.5 10.150.2.5"


def test_a_mapping_refuses_subnets_of_different_sizes() -> None:
    with pytest.raises(ValueError, match="sizes differ"):
        SubnetMapping({LAN1: net("10.200.0.0/16")})


@given(
    address=st.integers(min_value=0, max_value=2**32 - 1).map(IPv4Address),
    old_index=st.integers(min_value=0, max_value=2**20 - 1),
    new_index=st.integers(min_value=0, max_value=2**20 - 1),
    prefixlen=st.integers(min_value=8, max_value=30),
    before=st.sampled_from(["", " ", "ip=", "(", "via ", "x,"]),
    after=st.sampled_from(["", " ", ".", ":80", ")", ",", "/", "\n"]),
)
def test_map_text_moves_exactly_the_addresses_in_the_subnet(
    address: IPv4Address, old_index: int, new_index: int, prefixlen: int, before: str, after: str
) -> None:
    size = 2 ** (32 - prefixlen)
    old = IPv4Network(((old_index * size) % 2**32, prefixlen))
    new = IPv4Network(((new_index * size) % 2**32, prefixlen))
    mapping = SubnetMapping({old: new})
    if address in old:
        expected = new.network_address + (int(address) - int(old.network_address))
    else:
        expected = address
    assert mapping.map_text(f"{before}{address}{after}") == f"{before}{expected}{after}"
    assert mapping.map_ip(address) == expected


# ---------------------------------------------------------------- planning


def test_plan_keeps_sizes_stays_in_the_pool_and_is_deterministic() -> None:
    stack = routing_stack()
    plan = plan_renumbering(stack, [], DEFAULT_POOL)
    assert set(plan.subnets) == {LAN1, LAN2}
    for old, new in plan.subnets.items():
        assert new.prefixlen == old.prefixlen
        assert new.subnet_of(DEFAULT_POOL)
    assert not plan.subnets[LAN1].overlaps(plan.subnets[LAN2])
    assert plan_renumbering(routing_stack(), [], DEFAULT_POOL) == plan


def test_a_project_gets_neighbouring_subnets() -> None:
    plan = plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL)
    new1, new2 = plan.subnets[LAN1], plan.subnets[LAN2]
    assert int(new2.network_address) == int(new1.broadcast_address) + 1


def test_projects_and_retries_start_at_different_places() -> None:
    alice = plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL)
    bob = plan_renumbering(routing_stack("bob"), [], DEFAULT_POOL)
    alice_retry = plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL, skip=1)
    assert alice.subnets[LAN1] != bob.subnets[LAN1]
    assert alice.subnets[LAN1] != alice_retry.subnets[LAN1]
    assert plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL, skip=1) == alice_retry


def test_thirty_concurrent_projects_mostly_get_disjoint_subnets_at_first_try() -> None:
    # They all plan against the same (empty) view of the engine, as concurrent processes do.
    plans = [plan_renumbering(routing_stack(f"student{n}"), [], DEFAULT_POOL) for n in range(30)]
    chosen = [subnet for plan in plans for subnet in plan.subnets.values()]
    overlapping = sum(1 for i, a in enumerate(chosen) for b in chosen[i + 1 :] if a.overlaps(b))
    assert overlapping == 0


def test_a_retry_after_a_conflict_settles_every_project_in_a_crowded_pool() -> None:
    # Thirty processes plan against the same stale view; whoever creates second gets a conflict,
    # lists the engine again and retries with the next skip, as the module docstring describes.
    pool = net("10.128.0.0/18")  # 64 /24s for 30 projects x 2 LANs: crowded on purpose
    stale = [plan_renumbering(routing_stack(f"student{n}"), [], pool) for n in range(30)]
    on_engine: list[IPv4Network] = []
    retried = 0
    for n, plan in enumerate(stale):
        if any(new.overlaps(existing) for new in plan.subnets.values() for existing in on_engine):
            retried += 1
            plan = plan_renumbering(routing_stack(f"student{n}"), on_engine, pool, skip=1)
        on_engine.extend(plan.subnets.values())
    assert retried > 0  # the pool is crowded enough for the race to happen
    assert len(on_engine) == 60
    assert all(not a.overlaps(b) for i, a in enumerate(on_engine) for b in on_engine[i + 1 :])


def test_a_retry_with_a_stale_view_still_escapes_the_rival() -> None:
    # Without listing again, the next skip jumps elsewhere in a roomy pool.
    alice = plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL)
    rivals = set(alice.subnets.values())
    for skip in range(1, 6):
        retry = plan_renumbering(routing_stack("alice"), [], DEFAULT_POOL, skip=skip)
        assert not any(new.overlaps(old) for new in retry.subnets.values() for old in rivals)


def test_plan_avoids_taken_subnets() -> None:
    stack = routing_stack()
    first = plan_renumbering(stack, [], DEFAULT_POOL)
    second = plan_renumbering(stack, first.subnets.values(), DEFAULT_POOL)
    for new in second.subnets.values():
        assert not any(new.overlaps(taken) for taken in first.subnets.values())


def test_plan_finds_the_only_hole_in_a_crowded_pool() -> None:
    pool = net("10.128.0.0/22")
    taken = [net("10.128.0.0/24"), net("10.128.1.0/25"), net("10.128.3.0/24")]
    plan = plan_renumbering(sized_stack("10.10.1.0/24"), taken, pool)
    assert plan.subnets == {LAN1: net("10.128.2.0/24")}


def test_plan_does_not_reuse_the_declared_subnets() -> None:
    plan = plan_renumbering(routing_stack(), [], net("10.10.0.0/22"))
    assert set(plan.subnets.values()) == {net("10.10.0.0/24"), net("10.10.3.0/24")}


@pytest.mark.parametrize(
    ("declared", "host", "pool"),
    [
        ("10.20.0.0/16", "10.20.3.4", "10.128.0.0/9"),
        ("10.20.5.32/28", "10.20.5.45", "10.128.0.0/9"),
        ("192.168.7.0/24", "192.168.7.200", "172.31.0.0/16"),
    ],
)
def test_plan_and_apply_keep_host_parts_for_every_size(declared: str, host: str, pool: str) -> None:
    old = net(declared)
    stack = Stack(
        name="alice",
        file=Path("/labs/x/compose.yaml"),
        services={"box": Service("box", image="lab/box", networks=(ServiceNetwork("net", host),))},
        networks={"net": Network("net", subnet=declared)},
        volumes={},
    )
    plan = plan_renumbering(stack, [], net(pool))
    new = plan.subnets[old]
    assert new.prefixlen == old.prefixlen and new.subnet_of(net(pool))
    expected = new.network_address + (int(IPv4Address(host)) - int(old.network_address))
    renumbered = apply_renumbering(stack, plan)
    assert renumbered.networks["net"].subnet == str(new)
    assert renumbered.services["box"].networks[0].ipv4_address == str(expected)


def test_mixed_sizes_are_placed_without_overlap() -> None:
    stack = sized_stack("10.1.0.0/16", "10.2.0.0/28", "10.3.0.0/24", "10.4.0.0/28", "10.5.0.0/20")
    plan = plan_renumbering(stack, [net("10.128.0.0/12")], DEFAULT_POOL)
    chosen = list(plan.subnets.values())
    assert sorted(new.prefixlen for new in chosen) == [16, 20, 24, 28, 28]
    assert all(not new.overlaps(net("10.128.0.0/12")) for new in chosen)
    assert all(not a.overlaps(b) for i, a in enumerate(chosen) for b in chosen[i + 1 :])


def test_networks_without_a_subnet_are_left_to_the_engine() -> None:
    plan = plan_renumbering(routing_stack(), [], DEFAULT_POOL)
    renumbered = apply_renumbering(routing_stack(), plan)
    assert renumbered.networks["mgmt"].subnet is None
    assert [key for key, _ in declared_subnets(routing_stack())] == ["lan1", "lan2"]


def test_an_exhausted_pool_is_an_error_naming_pool_and_network() -> None:
    with pytest.raises(ToolkitError) as caught:
        plan_renumbering(
            sized_stack("10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"), [], net("10.128.0.0/23")
        )
    message = str(caught.value)
    assert message.startswith("subnet pool 10.128.0.0/23 exhausted: no free /24 for network 'net")
    assert "--subnet-pool" in message and POOL_ENV in message


def test_a_pool_filled_by_taken_subnets_is_exhausted() -> None:
    with pytest.raises(ToolkitError, match=r"subnet pool 10\.128\.0\.0/16 exhausted"):
        plan_renumbering(
            routing_stack(), [net("10.128.0.0/17"), net("10.128.128.0/17")], net("10.128.0.0/16")
        )


def test_a_pool_smaller_than_a_subnet_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"subnet pool 10\.128\.0\.0/24 is too small for network 'net0'"):
        plan_renumbering(sized_stack("10.20.0.0/16"), [], net("10.128.0.0/24"))


# ---------------------------------------------------------------- recovering a running project


def test_recover_mapping_rebuilds_what_the_plan_chose() -> None:
    stack = routing_stack()
    plan = plan_renumbering(stack, [], DEFAULT_POOL)
    renumbered = apply_renumbering(stack, plan)
    on_engine = {key: net(network.subnet) for key, network in renumbered.networks.items() if network.subnet}
    assert recover_mapping(stack, on_engine) == plan
    assert apply_renumbering(stack, recover_mapping(stack, on_engine)) == renumbered


def test_recover_mapping_of_a_project_that_was_not_renumbered_is_empty() -> None:
    assert recover_mapping(routing_stack(), {"lan1": LAN1, "lan2": LAN2}) == SubnetMapping()
    assert recover_mapping(routing_stack(), {}) == SubnetMapping()


def test_recover_mapping_refuses_a_network_of_another_size() -> None:
    with pytest.raises(UsageError, match=r"network 'lan1' of project 'alice' has subnet 10\.150\.0\.0/16"):
        recover_mapping(routing_stack(), {"lan1": net("10.150.0.0/16")})


# ---------------------------------------------------------------- clashes without --renumber


def test_find_clashes_lists_every_overlap_in_a_stable_order() -> None:
    existing = {
        "other": net("172.20.0.0/16"),
        "alice-lan2": LAN2,
        "wide": net("10.0.0.0/8"),
        "alice-lan1": LAN1,
    }
    assert find_clashes(routing_stack("bob"), existing) == [
        Clash("lan1", LAN1, "alice-lan1", LAN1),
        Clash("lan1", LAN1, "wide", net("10.0.0.0/8")),
        Clash("lan2", LAN2, "alice-lan2", LAN2),
        Clash("lan2", LAN2, "wide", net("10.0.0.0/8")),
    ]
    assert find_clashes(routing_stack("bob"), {"other": net("172.20.0.0/16")}) == []


def test_clash_error_names_both_networks_and_suggests_renumber() -> None:
    stack = routing_stack("bob")
    error = clash_error(stack, find_clashes(stack, {"alice-lan1": LAN1}))
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert str(error) == (
        "network 'lan1' (10.10.1.0/24) of project 'bob' overlaps network 'alice-lan1' (10.10.1.0/24) "
        "on the engine: run with --renumber to give this project its own subnets"
    )
    many = clash_error(stack, find_clashes(stack, {"alice-lan1": LAN1, "alice-lan2": LAN2}))
    assert "on the engine (and 1 more overlap): run with --renumber" in str(many)
    beyond = clash_error(stack, find_clashes(stack, {"podman network 'alice-lan1'": LAN1}), on_engine=False)
    assert str(beyond) == (
        "network 'lan1' (10.10.1.0/24) of project 'bob' overlaps podman network 'alice-lan1' "
        "(10.10.1.0/24): run with --renumber to give this project its own subnets"
    )


def test_engine_subnets_keeps_ipv4_subnets_only() -> None:
    infos = [
        NetworkInfo("1", "alice-lan1", "10.10.1.0/24", "10.10.1.254", False),
        NetworkInfo("2", "none", None, None, False),
        NetworkInfo("3", "v6", "fd00:1::/64", None, False),
        NetworkInfo("4", "odd", "garbage", None, False),
    ]
    assert engine_subnets(infos) == {"alice-lan1": LAN1}


# ---------------------------------------------------------------- the pool


def test_resolve_pool_prefers_the_flag_then_the_environment_then_the_default() -> None:
    environ = {POOL_ENV: "172.30.0.0/16"}
    assert resolve_pool("10.64.0.0/10", environ) == net("10.64.0.0/10")
    assert resolve_pool(None, environ) == net("172.30.0.0/16")
    assert resolve_pool(None, {}) == DEFAULT_POOL == net("10.128.0.0/9")
    assert resolve_pool("", {POOL_ENV: ""}) == DEFAULT_POOL


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("10.128.0.1/9", "has host bits set"),
        ("banana", "is not a subnet pool"),
        ("fd00::/8", "is IPv6"),
    ],
)
def test_parse_pool_refuses_what_is_not_an_ipv4_network(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment) as caught:
        parse_pool(text)
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"--subnet-pool '{text}'")


def test_a_bad_pool_in_the_environment_names_the_variable() -> None:
    with pytest.raises(UsageError, match=rf"^{POOL_ENV} 'x' is not a subnet pool"):
        resolve_pool(None, {POOL_ENV: "x"})


def test_no_old_address_survives_a_planned_renumbering() -> None:
    stack = routing_stack()
    renumbered = apply_renumbering(stack, plan_renumbering(stack, [], DEFAULT_POOL))
    services, exercise = repr(renumbered.services), repr(renumbered.exercise)
    survivors = re.findall(
        r"(?<![\d.])10\\*\.10\\*\.[12]\\*\.\d+", services + exercise + repr(renumbered.networks)
    )
    # Only the look-alikes kept on purpose: label text, port host IP, build arg, not-ours values.
    assert sorted(set(survivors)) == ["10.10.1.1", "10.10.1.100"]
