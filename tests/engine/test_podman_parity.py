"""Where Podman's defaults differ from Docker's, labkit behaves like Docker on both engines.

Each test names one difference (ENGINES.md measures them) and asserts Docker's behaviour through
the `runtime` fixture, so it runs on Docker (the reference) and on Podman (the adapter's work):
default capabilities, low ports and ping for every user, short image names, healthchecks without
systemd, isolation between networks, routing through a router container, HEALTHCHECK in built
images, and host iptables rules that must not outlive their network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine.test_contract import Lab, lab_fixture, run, wait_for  # noqa: F401 (a fixture)
from tests.engine.test_contract_networks import free_subnet, prefix_of
from tests.engine.test_safety import NET_ADMIN, capability_set, mask
from tests.outcomes import cannot_run
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import BuildSpec, HealthcheckSpec, NetworkAttachment

pytestmark = pytest.mark.engine


def ping(runtime: Runtime, container: str, target: str) -> bool:
    return runtime.exec(container, ["ping", "-c1", "-W2", target]).ok


# ---------------------------------------------------------------- 1. capabilities


def test_ping_works_without_cap_add(runtime: Runtime, lab: Lab) -> None:
    """Docker's default capabilities include NET_RAW; Podman's do not."""
    default = lab.container("default")
    dropped = lab.container("dropped", cap_drop=("NET_RAW",))

    assert ping(runtime, default, "127.0.0.1")
    assert not ping(runtime, dropped, "127.0.0.1")  # a spec that drops it still wins


NOBODY = "65534"
BIND_PORT_80 = "nc -l -p 80 & server=$!; sleep 0.5; kill $server 2>/dev/null && echo bound || echo refused"


def test_a_non_root_process_binds_a_low_port_and_pings(runtime: Runtime, lab: Lab) -> None:
    """Docker opens ports below 1024 and ICMP echo sockets to every user of a container's
    network namespace; Podman keeps them for root. Course servers run as student."""
    default = lab.container("default")
    kept = lab.container("kept", sysctls={"net.ipv4.ip_unprivileged_port_start": "1024"})

    bound = runtime.exec(default, ["sh", "-c", BIND_PORT_80], user=NOBODY)
    assert bound.stdout.strip() == "bound", bound.stdout + bound.stderr
    groups = runtime.exec(default, ["cat", "/proc/sys/net/ipv4/ping_group_range"]).stdout.split()
    assert groups == ["0", "2147483647"]
    # A spec's own value wins over the default.
    assert runtime.exec(kept, ["sh", "-c", BIND_PORT_80], user=NOBODY).stdout.strip() == "refused"


def capabilities(runtime: Runtime, container: str, user: str | None = None) -> tuple[int, int]:
    """(CapEff, CapBnd) of a process exec'd in the container, as bit masks."""
    status = runtime.exec(container, ["cat", "/proc/self/status"], user=user).stdout
    return capability_set("CapEff", status), capability_set("CapBnd", status)


def test_a_non_root_user_holds_no_capability_of_the_container(runtime: Runtime, lab: Lab) -> None:
    """Docker gives the capabilities a container adds to root only; Podman hands them to the
    container's non-root user too, in every exec as that user."""
    net_admin = mask(NET_ADMIN)
    box = lab.container("box", user=NOBODY, cap_add=("NET_ADMIN",))

    for user in (None, NOBODY, "nobody", "nobody:nogroup"):
        effective, bounding = capabilities(runtime, box, user)
        assert effective == 0, f"user {user}: CapEff {effective:x}"
        assert bounding & net_admin
    assert runtime.exec(box, ["ip", "link", "set", "lo", "mtu", "1500"]).exit_code != 0
    root_effective, _ = capabilities(runtime, box, "0")
    assert root_effective & net_admin  # root in the container has what it was given
    assert runtime.exec(box, ["ip", "link", "set", "lo", "mtu", "1500"], user="root").exit_code == 0


# ---------------------------------------------------------------- 2. short image names


def test_a_short_name_and_its_qualified_form_are_one_image(runtime: Runtime, lab: Lab) -> None:
    """Docker reads short names as Docker Hub names; Podman resolves them its own way."""
    official = f"{lab.prefix}-official:parity"  # Docker: docker.io/library/<name>
    lab.images.append(official)

    runtime.tag_image(lab.image, official)

    image_id = runtime.inspect_image(lab.image).id
    assert runtime.inspect_image(f"docker.io/{lab.image}").id == image_id
    assert runtime.inspect_image(f"docker.io/library/{official}").id == image_id
    assert runtime.image_exists(f"docker.io/library/{official}")
    assert official in runtime.inspect_image(official).tags  # named as `docker images` shows
    qualified = lab.container("qualified", image=f"docker.io/{lab.image}")
    assert runtime.inspect_container(qualified).running


# ---------------------------------------------------------------- 3. healthchecks


def test_a_healthy_container_is_reported_healthy_once_ready(runtime: Runtime, lab: Lab) -> None:
    """Docker probes by itself (after one interval); Podman never does without systemd."""
    check = HealthcheckSpec(test=("CMD-SHELL", "test -e /tmp/ready"), interval=30.0)
    container = lab.container(healthcheck=check, command=("sh", "-c", "touch /tmp/ready; exec sleep 3600"))

    assert wait_for(lambda: runtime.exec(container, ["test", "-e", "/tmp/ready"]).ok)

    assert runtime.inspect_container(container).health == "healthy"


# ---------------------------------------------------------------- 4. isolation between networks


def test_containers_on_two_labkit_networks_cannot_reach_each_other(runtime: Runtime, lab: Lab) -> None:
    """Docker drops traffic between its bridges; Podman's host routes it unless isolated."""
    one, two = lab.network("one", subnet=free_subnet()), lab.network("two", subnet=free_subnet())
    assert one.subnet and two.subnet
    a_ip, peer_ip, b_ip = (
        f"{prefix_of(one.subnet)}.10",
        f"{prefix_of(one.subnet)}.11",
        f"{prefix_of(two.subnet)}.10",
    )
    a = lab.container("a", networks=(NetworkAttachment(one.name, a_ip),))
    lab.container("peer", networks=(NetworkAttachment(one.name, peer_ip),))
    lab.container("b", networks=(NetworkAttachment(two.name, b_ip),))

    assert ping(runtime, a, peer_ip)  # the same network: reachable
    assert not ping(runtime, a, b_ip)  # another network, no router: dropped


# ---------------------------------------------------------------- 5. routing through a router


def test_a_router_container_routes_between_two_networks(runtime: Runtime, lab: Lab) -> None:
    """The routing exercise: fails before the routes are set, works after, on both engines.

    Without isolation Podman routes "before"; netavark's masquerade breaks "after".
    """
    lan1, lan2 = free_subnet(), free_subnet()
    net1, net2 = prefix_of(lan1), prefix_of(lan2)
    one = lab.network("lan1", subnet=lan1, gateway=f"{net1}.1")
    two = lab.network("lan2", subnet=lan2, gateway=f"{net2}.1")
    lab.container(
        "router",
        sysctls={"net.ipv4.ip_forward": "1"},
        networks=(
            NetworkAttachment(one.name, f"{net1}.254"),
            NetworkAttachment(two.name, f"{net2}.254"),
        ),
    )
    h1 = lab.container("h1", cap_add=("NET_ADMIN",), networks=(NetworkAttachment(one.name, f"{net1}.10"),))
    h2 = lab.container("h2", cap_add=("NET_ADMIN",), networks=(NetworkAttachment(two.name, f"{net2}.10"),))

    assert not ping(runtime, h1, f"{net2}.10")  # before: no route between the LANs

    run(runtime, h1, f"ip route add {lan2} via {net1}.254")
    run(runtime, h2, f"ip route add {lan1} via {net2}.254")

    assert ping(runtime, h1, f"{net2}.10")
    assert ping(runtime, h2, f"{net1}.10")


# ---------------------------------------------------------------- 6. HEALTHCHECK in built images


def test_healthcheck_survives_a_build_from_a_qualified_base(
    runtime: Runtime, lab: Lab, tmp_path: Path
) -> None:
    """Podman builds OCI images by default, which drop HEALTHCHECK; Docker keeps it.

    The base is named fully in FROM, as Containerfiles should, and found under its short tag.
    """
    base = f"{lab.prefix}-base:parity"
    built = f"labkit-test/{lab.prefix}:healthy"
    lab.images += [built, base]
    runtime.tag_image(lab.image, base)
    (tmp_path / "Containerfile").write_text(
        f"FROM docker.io/library/{base}\n"
        "HEALTHCHECK --interval=9s --timeout=4s --retries=5 CMD test -d /tmp\n"
        'CMD ["sleep", "3600"]\n'
    )

    info = runtime.build_image(BuildSpec(context=tmp_path, tags=(built,)))

    assert info.healthcheck is not None
    check = info.healthcheck
    assert (check.interval, check.timeout, check.retries) == (9.0, 4.0, 5)
    assert check.test == ("CMD-SHELL", "test -d /tmp")
    container = lab.container("built", image=built, command=None)
    assert runtime.inspect_container(container).health == "healthy"


# ---------------------------------------------------------------- 7. host iptables rules


def _iptables_rules() -> list[str]:
    rules: list[str] = []
    for table in ("nat", "filter", "mangle"):
        listing = subprocess.run(
            ["iptables", "-w", "5", "-t", table, "-S"], capture_output=True, text=True, check=True
        )
        rules += listing.stdout.splitlines()
    return rules


def test_a_removed_network_leaves_no_iptables_rule(runtime: Runtime, lab: Lab) -> None:
    """Whatever the engine or labkit adds to the host for a network goes with the network."""
    if shutil.which("iptables") is None or os.geteuid() != 0:
        cannot_run("reading the host's iptables rules needs root and iptables")
    subnet = free_subnet()
    network = lab.network("rules", subnet=subnet)
    container = lab.container(networks=(NetworkAttachment(network.name),))

    def mentions(rule: str) -> bool:
        return subnet in rule or network.name in rule

    assert any(mentions(rule) for rule in _iptables_rules())  # the engine's own masquerade rule

    runtime.remove_container(container)
    runtime.remove_network(network.name)

    assert [rule for rule in _iptables_rules() if mentions(rule)] == []
