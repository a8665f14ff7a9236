"""Give Podman's `internal: true` networks Docker's behaviour in the host's FORWARD path.

Docker accepts every frame bridged between two containers of one internal network and drops
any other frame that enters or leaves its bridge (source or destination outside the subnet):
containers of one internal network reach each other, and nothing else, routed or not.

netavark 1.4 adds no FORWARD rule at all for an internal network. Where bridged frames pass
through iptables (br_netfilter, which dockerd loads) and the FORWARD policy is DROP (dockerd sets
it), two containers of one internal Podman network then cannot reach each other; where the
policy is ACCEPT, a router container would route in and out of the network, which Docker's
never allows. labkit adds Docker's rules:

    iptables -t filter -I FORWARD -i BRIDGE -o BRIDGE -s SUBNET -d SUBNET -m comment ... -j ACCEPT
    iptables -t mangle -I FORWARD -i BRIDGE ! -d SUBNET -m comment ... -j DROP
    iptables -t mangle -I FORWARD -o BRIDGE ! -s SUBNET -m comment ... -j DROP

The drops live in the mangle table, which every packet meets before the filter table: netavark
accepts anything whose source is in one of its bridge subnets (`-s SUBNET -j ACCEPT`), and puts
its jump at the top of filter FORWARD when it first sets up a network, so a drop there would be
skipped whenever netavark's jump came after labkit's rules (measured: Docker started before
Podman on a fresh host). The rules carry the masquerade exemption's comment and go with the
network.
"""

from __future__ import annotations

from toolkit.runtime.podman.masquerade import COMMENT_PREFIX, MasqueradeExemption


def internal_rules(bridge: str, network: str, subnet: str) -> list[tuple[str, list[str]]]:
    """Docker's rules for an internal network: (table, rule in FORWARD)."""
    comment = ["-m", "comment", "--comment", COMMENT_PREFIX + network]
    return [
        ("filter", ["-i", bridge, "-o", bridge, "-s", subnet, "-d", subnet, *comment, "-j", "ACCEPT"]),
        ("mangle", ["-i", bridge, "!", "-d", subnet, *comment, "-j", "DROP"]),
        ("mangle", ["-o", bridge, "!", "-s", subnet, *comment, "-j", "DROP"]),
    ]


def add_internal_rules(host: MasqueradeExemption, bridge: str, network: str, subnet: str | None) -> None:
    """Insert the rules of a new internal network at the top of FORWARD in their tables."""
    if not subnet or not bridge:
        return
    for table, rule in internal_rules(bridge, network, subnet):
        host.insert(table, "FORWARD", rule)
