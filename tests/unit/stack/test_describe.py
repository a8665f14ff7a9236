"""`labkit describe`: the exercise text and the addresses of one project."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

from toolkit.stack.describe import (
    ExerciseDescription,
    NetworkDescription,
    ServiceAddress,
    ServiceDescription,
    describe_exercise,
    format_description,
)
from toolkit.stack.model import Check, Exercise, Network, Service, ServiceNetwork, SolutionStep, Stack
from toolkit.stack.renumber import SubnetMapping, apply_renumbering


def routing_stack() -> Stack:
    return Stack(
        name="alice",
        file=Path("/labs/routing/compose.yaml"),
        services={
            "router": Service(
                "router",
                image="lab/router",
                networks=(ServiceNetwork("lan1", "10.10.1.1"), ServiceNetwork("lan2", "10.10.2.1")),
            ),
            "pc1": Service(
                "pc1",
                image="lab/pc",
                hostname="client",
                networks=(ServiceNetwork("lan1", "10.10.1.10"), ServiceNetwork("mgmt")),
            ),
            "observer": Service("observer", image="lab/pc"),
        },
        networks={
            "lan1": Network("lan1", subnet="10.10.1.0/24", gateway="10.10.1.254"),
            "lan2": Network("lan2", subnet="10.10.2.0/24", internal=True),
            "mgmt": Network("mgmt"),
        },
        volumes={},
        exercise=Exercise(
            title="Static routing",
            description="Make pc1 (10.10.1.10) reach 10.10.2.0/24 through the router 10.10.1.1.\n",
            checks=(
                Check("route-present", "pc1", ("ip", "route")),
                Check("ping-lan2", "pc1", ("ping", "-c1", "10.10.2.1")),
            ),
            solution=(
                SolutionStep("pc1", ("ip", "route", "add", "10.10.2.0/24", "via", "10.10.1.1")),
                SolutionStep("pc1", ("true",)),
            ),
        ),
    )


def test_describe_collects_text_networks_services_checks_and_steps_in_file_order() -> None:
    assert describe_exercise(routing_stack()) == ExerciseDescription(
        project="alice",
        title="Static routing",
        description="Make pc1 (10.10.1.10) reach 10.10.2.0/24 through the router 10.10.1.1.\n",
        networks=(
            NetworkDescription("lan1", "10.10.1.0/24", "10.10.1.254"),
            NetworkDescription("lan2", "10.10.2.0/24", None, internal=True),
            NetworkDescription("mgmt", None, None),
        ),
        services=(
            ServiceDescription(
                "router",
                "router",
                (ServiceAddress("lan1", "10.10.1.1", "eth0"), ServiceAddress("lan2", "10.10.2.1", "eth1")),
            ),
            ServiceDescription(
                "pc1",
                "client",
                (ServiceAddress("lan1", "10.10.1.10", "eth0"), ServiceAddress("mgmt", None, "eth1")),
            ),
            ServiceDescription("observer", "observer", ()),
        ),
        checks=("route-present", "ping-lan2"),
        solution_steps=2,
    )


def test_a_renumbered_project_is_described_with_its_own_addresses() -> None:
    mapping = SubnetMapping(
        {
            IPv4Network("10.10.1.0/24"): IPv4Network("10.143.5.0/24"),
            IPv4Network("10.10.2.0/24"): IPv4Network("10.143.6.0/24"),
        }
    )
    described = describe_exercise(apply_renumbering(routing_stack(), mapping))
    assert (
        described.description == "Make pc1 (10.143.5.10) reach 10.143.6.0/24 through the router 10.143.5.1.\n"
    )
    assert described.networks[0] == NetworkDescription("lan1", "10.143.5.0/24", "10.143.5.254")
    assert described.services[0].addresses == (
        ServiceAddress("lan1", "10.143.5.1", "eth0"),
        ServiceAddress("lan2", "10.143.6.1", "eth1"),
    )


def test_format_description_lays_out_every_part() -> None:
    assert format_description(describe_exercise(routing_stack())) == (
        "Static routing (project alice)\n"
        "\n"
        "Make pc1 (10.10.1.10) reach 10.10.2.0/24 through the router 10.10.1.1.\n"
        "\n"
        "Networks:\n"
        "  lan1  10.10.1.0/24, gateway 10.10.1.254\n"
        "  lan2  10.10.2.0/24, internal\n"
        "  mgmt  subnet chosen by the engine\n"
        "\n"
        "Services:\n"
        "  router    eth0 lan1 10.10.1.1, eth1 lan2 10.10.2.1\n"
        "  pc1       hostname client; eth0 lan1 10.10.1.10, eth1 mgmt (address chosen by the engine)\n"
        "  observer  no network\n"
        "\n"
        "Checks (2): route-present, ping-lan2\n"
        "Solution: 2 steps\n"
    )


def test_format_description_of_a_bare_exercise() -> None:
    bare = Stack(name="bob", file=Path("/labs/x/compose.yaml"), services={}, networks={}, volumes={})
    described = describe_exercise(bare)
    assert described == ExerciseDescription("bob", "", "", (), (), (), 0)
    assert (
        format_description(described) == "(untitled exercise) (project bob)\n\nChecks: none\nSolution: none\n"
    )


def test_one_solution_step_is_singular() -> None:
    stack = routing_stack()
    one_step = Stack(
        name=stack.name,
        file=stack.file,
        services={},
        networks={},
        volumes={},
        exercise=Exercise(title="t", solution=stack.exercise.solution[:1]),
    )
    assert format_description(describe_exercise(one_step)).endswith("Checks: none\nSolution: 1 step\n")
