"""The topology model: nodes, edges, labels and routers, from a stack and from an engine."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

from toolkit.runtime.fake import FakeRuntime
from toolkit.stack.model import Network, PortMapping, Service, ServiceNetwork, Stack
from toolkit.stack.renumber import SubnetMapping, apply_renumbering
from toolkit.topology.from_engine import parse_addresses
from toolkit.topology.from_stack import topology_from_stack
from toolkit.topology.layout import oriented_edges
from toolkit.topology.model import Edge, Interface, NetworkNode, ServiceNode, Topology


def two_lans() -> Stack:
    forwarding = {"net.ipv4.ip_forward": "1"}
    return Stack(
        name="routing",
        file=Path("/labs/routing/compose.yaml"),
        services={
            "router": Service(
                "router",
                image="labkit/netlab:debian-bookworm",
                sysctls=forwarding,
                # Written lan2 first: the interfaces are still numbered by network name.
                networks=(ServiceNetwork("lan2", "10.30.2.254"), ServiceNetwork("lan1", "10.30.1.254")),
            ),
            "host1": Service(
                "host1",
                image="labkit/netlab:debian-bookworm",
                hostname="pc1",
                networks=(ServiceNetwork("lan1", "10.30.1.10"),),
                ports=(PortMapping(80, 8080, "127.0.0.1"),),
            ),
            "host2": Service(
                "host2", image="labkit/netlab:debian-bookworm", networks=(ServiceNetwork("lan2"),)
            ),
            # On two networks but not forwarding: a host with two legs, not a router.
            "dual": Service(
                "dual",
                image="labkit/base:debian-bookworm",
                networks=(ServiceNetwork("lan1"), ServiceNetwork("lan2")),
            ),
            # Forwarding on one network only routes nothing.
            "lonely": Service("lonely", image="x", sysctls=forwarding, networks=(ServiceNetwork("lan1"),)),
        },
        networks={
            "lan1": Network("lan1", subnet="10.30.1.0/24", gateway="10.30.1.1"),
            "lan2": Network("lan2", subnet="10.30.2.0/24", internal=True),
        },
        volumes={},
    )


def test_networks_are_nodes_with_subnet_gateway_and_internal_mark() -> None:
    topology = topology_from_stack(two_lans())
    assert topology.networks == (
        NetworkNode("lan1", "10.30.1.0/24", "10.30.1.1", False),
        NetworkNode("lan2", "10.30.2.0/24", None, True),
    )
    assert topology.networks[0].label_lines == ("lan1", "10.30.1.0/24", "gw 10.30.1.1")
    assert topology.networks[1].label_lines == ("lan2", "10.30.2.0/24", "internal")


def test_an_edge_per_interface_labelled_with_name_and_address() -> None:
    topology = topology_from_stack(two_lans())
    assert topology.edges == (
        Edge("router", "lan1", "eth0 10.30.1.254"),
        Edge("router", "lan2", "eth1 10.30.2.254"),
        Edge("host1", "lan1", "eth0 10.30.1.10"),
        Edge("host2", "lan2", "eth0 (assigned at start)"),
        Edge("dual", "lan1", "eth0 (assigned at start)"),
        Edge("dual", "lan2", "eth1 (assigned at start)"),
        Edge("lonely", "lan1", "eth0 (assigned at start)"),
    )


def test_only_a_forwarding_service_on_two_networks_is_a_router() -> None:
    topology = topology_from_stack(two_lans())
    assert [service.name for service in topology.routers] == ["router"]


def test_services_carry_host_name_image_and_published_ports() -> None:
    host1 = topology_from_stack(two_lans()).services[1]
    assert (host1.name, host1.hostname, host1.image) == ("host1", "pc1", "labkit/netlab:debian-bookworm")
    assert [port.label for port in host1.ports] == ["127.0.0.1:8080->80/tcp"]


def test_a_renumbered_stack_is_drawn_with_the_projects_addresses() -> None:
    mapping = SubnetMapping({IPv4Network("10.30.1.0/24"): IPv4Network("10.200.7.0/24")})
    topology = topology_from_stack(apply_renumbering(two_lans(), mapping), "alice")
    assert topology.project == "alice"
    assert topology.networks[0] == NetworkNode("lan1", "10.200.7.0/24", "10.200.7.1")
    assert "10.200.7.254" in topology.addresses()
    assert not [address for address in topology.addresses() if address.startswith("10.30.1.")]


def test_edges_point_away_from_the_first_network_along_the_path() -> None:
    topology = topology_from_stack(two_lans())
    directions = {(edge.service, edge.network): (edge.tail, edge.head) for edge in oriented_edges(topology)}
    # lan1 -> router -> lan2 -> host2: the path a packet takes from the first LAN.
    assert directions[("router", "lan1")] == ("net:lan1", "svc:router")
    assert directions[("router", "lan2")] == ("svc:router", "net:lan2")
    assert directions[("host2", "lan2")] == ("net:lan2", "svc:host2")


def test_a_service_without_networks_joins_the_default_network() -> None:
    stack = Stack("one", Path("/labs/one/compose.yaml"), {"a": Service("a", image="x")}, {}, {})
    (service,) = topology_from_stack(stack).services
    assert service.interfaces == (Interface("default", "eth0", None),)


def test_ip_output_is_read_as_interface_names_and_addresses() -> None:
    output = (
        "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
        "1108: eth1    inet 10.185.205.3/24 brd 10.185.205.255 scope global eth1\n"
        "7: eth0@if12    inet 10.185.204.4/24 brd 10.185.204.255 scope global eth0\n"
        "7: eth0@if12    inet 10.185.204.99/24 scope global secondary eth0\n"
    )
    assert parse_addresses(output) == {"eth1": "10.185.205.3", "eth0": "10.185.204.4"}


def test_a_project_that_is_not_up_is_drawn_from_the_file() -> None:
    from toolkit.topology.from_engine import topology_from_engine

    topology = topology_from_engine(FakeRuntime(), two_lans(), "bob")
    assert topology.source == "file" and topology.project == "bob"
    assert topology == topology_from_stack(two_lans(), "bob")


def test_router_property_needs_two_distinct_networks() -> None:
    twice = ServiceNode(
        "r", "r", "x", (Interface("lan1", "eth0", "10.0.0.1"), Interface("lan1", "eth1", "10.0.0.2")), True
    )
    assert not twice.is_router
    assert Topology("p", "", (), (twice,)).routers == ()


def running_on_fake(probe: str, exit_code: int = 0) -> Topology:
    """two_lans() up as project bob, renumbered, on the fake engine; `probe` is what `ip` says."""
    from toolkit.runtime.specs import ContainerSpec, ExecResult, NetworkAttachment, NetworkSpec
    from toolkit.stack import naming
    from toolkit.topology.from_engine import topology_from_engine

    runtime = FakeRuntime("podman")
    runtime.add_image("labkit/netlab:debian-bookworm")
    for key, subnet in (("lan1", "10.99.1.0/24"), ("lan2", "10.99.2.0/24")):
        labels = {naming.LABEL_PROJECT: "bob", naming.LABEL_NETWORK: key}
        runtime.create_network(
            NetworkSpec(f"bob-{key}", subnet, subnet.replace(".0/24", ".1"), labels=labels)
        )
    labels = {naming.LABEL_PROJECT: "bob", naming.LABEL_SERVICE: "router"}
    attachments = (NetworkAttachment("bob-lan2", "10.99.2.254"), NetworkAttachment("bob-lan1", "10.99.1.254"))
    spec = ContainerSpec("labkit/netlab:debian-bookworm", "bob-router", labels=labels, networks=attachments)
    runtime.start_container(runtime.create_container(spec))
    runtime.on_exec = lambda name, argv: ExecResult(exit_code, probe, "")
    return topology_from_engine(runtime, two_lans(), "bob")


def test_a_running_project_shows_the_engines_subnets_addresses_and_interface_names() -> None:
    # Podman 4 numbered the router's interfaces in the written order: lan2 became eth0.
    probe = (
        "1: lo    inet 127.0.0.1/8 scope host lo\n"
        "2: eth0@if7    inet 10.99.2.254/24 brd 10.99.2.255 scope global eth0\n"
        "3: eth1@if8    inet 10.99.1.254/24 brd 10.99.1.255 scope global eth1\n"
    )
    topology = running_on_fake(probe)
    assert (topology.source, topology.engine) == ("engine", "podman")
    assert topology.networks[0] == NetworkNode("lan1", "10.99.1.0/24", "10.99.1.1")
    router = topology.services[0]
    assert router.interfaces == (
        Interface("lan2", "eth0", "10.99.2.254"),
        Interface("lan1", "eth1", "10.99.1.254"),
    )
    assert router.is_router
    # Services with no container yet keep the file's view, with the project's subnets.
    assert topology.services[1].interfaces == (Interface("lan1", "eth0", "10.99.1.10"),)


def test_when_ip_cannot_be_read_the_names_are_predicted_and_the_addresses_real() -> None:
    router = running_on_fake("sh: ip: not found", exit_code=127).services[0]
    assert router.interfaces == (
        Interface("lan1", "eth0", "10.99.1.254"),
        Interface("lan2", "eth1", "10.99.2.254"),
    )
