"""Give Podman's `internal: true` networks Docker's behaviour in the host's FORWARD chain.

Docker accepts every frame bridged between two containers of one internal network and drops
any other frame that enters or leaves its bridge (source or destination outside the subnet):
containers of one internal network reach each other, and nothing else, routed or not.

netavark 1.4 adds no FORWARD rule at all for an internal network. Where bridged frames pass
through iptables (br_netfilter, which dockerd loads) and the FORWARD policy is DROP (dockerd sets
it), two containers of one internal Podman network then cannot reach each other; where the
policy is ACCEPT, a router container would route in and out of the network, which Docker's
never allows. labkit puts Docker's rules in front of everything, whichever engine started first:

    iptables -I FORWARD -i BRIDGE -o BRIDGE -s SUBNET -d SUBNET -m comment ... -j ACCEPT
    iptables -I FORWARD -i BRIDGE -m comment ... -j DROP
    iptables -I FORWARD -o BRIDGE -m comment ... -j DROP

They carry the same comment as the masquerade exemption's, and go with the network.
"""

from __future__ import annotations

from toolkit.runtime.podman.masquerade import COMMENT_PREFIX, MasqueradeExemption


def internal_rules(bridge: str, network: str, subnet: str) -> list[list[str]]:
    """Docker's FORWARD rules for an internal network, first match first (filter FORWARD)."""
    comment = ["-m", "comment", "--comment", COMMENT_PREFIX + network]
    return [
        ["-i", bridge, "-o", bridge, "-s", subnet, "-d", subnet, *comment, "-j", "ACCEPT"],
        ["-i", bridge, *comment, "-j", "DROP"],
        ["-o", bridge, *comment, "-j", "DROP"],
    ]


def add_internal_rules(host: MasqueradeExemption, bridge: str, network: str, subnet: str | None) -> None:
    """Insert the rules of a new internal network at the top of FORWARD, in their order."""
    if not subnet or not bridge:
        return
    # Each insert goes to position 1: insert the last rule first.
    for rule in reversed(internal_rules(bridge, network, subnet)):
        host.insert("filter", "FORWARD", rule)
