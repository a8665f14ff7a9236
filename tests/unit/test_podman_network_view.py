"""The pure parts of the Podman adapter's Docker-like network view and internal-network rules."""

from __future__ import annotations

from toolkit.runtime.podman.inside import Attachment, default_gateway, docker_hosts, docker_resolv_conf
from toolkit.runtime.podman.internal import internal_rules

LAN = Attachment("lan", "10.1.0.5", "10.1.0.1", internal=False)
BACK = Attachment("back", "10.2.0.5", "10.2.0.1", internal=True)


def test_the_default_route_goes_through_the_first_network_that_is_not_internal() -> None:
    assert default_gateway([BACK, LAN]) == LAN
    assert default_gateway([BACK]) == BACK
    assert default_gateway([]) is None


def test_hosts_file_is_dockers_localhost_lines_extra_hosts_then_own_names() -> None:
    text = docker_hosts("web", "lab.test", ["gw:10.9.9.9"], [LAN, BACK])
    assert text.splitlines()[0] == "127.0.0.1\tlocalhost"
    assert text.splitlines()[-3:] == [
        "10.9.9.9\tgw",
        "10.1.0.5\tweb.lab.test web",
        "10.2.0.5\tweb.lab.test web",
    ]
    assert "runsc" not in text and "host.containers.internal" not in text


def test_resolv_conf_keeps_one_resolver_and_the_services_own_search_and_options() -> None:
    podman = "search dns.podman example.org\nnameserver 10.1.0.1\nnameserver 10.2.0.1\nnameserver 8.8.8.8\n"
    assert (
        docker_resolv_conf(podman, "10.1.0.1") == "search example.org\nnameserver 10.1.0.1\noptions ndots:0\n"
    )
    with_options = "search dns.podman\nnameserver 10.1.0.1\noptions ndots:3 timeout:1\n"
    assert docker_resolv_conf(with_options, "10.1.0.1") == "nameserver 10.1.0.1\noptions ndots:3 timeout:1\n"


def test_internal_rules_accept_within_the_subnet_and_drop_the_rest_before_any_filter_rule() -> None:
    (accept_table, accept), (in_table, drop_in), (out_table, drop_out) = internal_rules(
        "podman3", "p-back", "10.2.0.0/24"
    )
    assert (accept_table, in_table, out_table) == ("filter", "mangle", "mangle")
    assert accept[:8] == ["-i", "podman3", "-o", "podman3", "-s", "10.2.0.0/24", "-d", "10.2.0.0/24"]
    assert (accept[-1], drop_in[-1], drop_out[-1]) == ("ACCEPT", "DROP", "DROP")
    assert drop_in[:5] == ["-i", "podman3", "!", "-d", "10.2.0.0/24"]
    assert drop_out[:5] == ["-o", "podman3", "!", "-s", "10.2.0.0/24"]
    assert all("labkit network p-back" in rule for rule in (accept, drop_in, drop_out))
