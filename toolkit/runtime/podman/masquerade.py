"""Keep netavark from masquerading traffic that stays on its own bridge.

netavark 1.4 masquerades every packet whose source is in a network's subnet and whose
destination is not, even when the packet never leaves the bridge: a host that routes to another
network through a router container on the same bridge then reaches the router with the host's
bridge address as its source, and routing exercises break. Docker's own rule
(`-s SUBNET ! -o BRIDGE -j MASQUERADE`) leaves such traffic alone.

Where the host passes bridged frames through iptables (br_netfilter, which dockerd loads), labkit
puts one rule per network in front of netavark's:

    iptables -t nat -I POSTROUTING 1 -o BRIDGE -m physdev --physdev-is-bridged \
        -m comment --comment "labkit network NAME" -j RETURN

It matches only frames bridged between two ports of that network's bridge, so traffic to the
host or the outside world is masqueraded as before.

A second rule keeps networks isolated from each other as Docker's are:

    iptables -t filter -I FORWARD 1 -i BRIDGE -o podman+ -m physdev ! --physdev-is-bridged \
        -m comment --comment "labkit network NAME" -j DROP

netavark 1.4 has its own isolation chain, but deletes the shared FORWARD jump to it whenever the
last container of any isolated network goes away, which un-isolates every other project on the
host. Both rules are removed with their network.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from toolkit.errors import EngineError

BR_NETFILTER = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
COMMENT_PREFIX = "labkit network "
_TIMEOUT = 30.0
# (table, chain, the flag naming the bridge in labkit's rules there); internal.py's rules name
# it after -o too, and use the mangle table.
_CHAINS = (
    ("nat", "POSTROUTING", "-o"),
    ("filter", "FORWARD", "-i"),
    ("filter", "FORWARD", "-o"),
    ("mangle", "FORWARD", "-i"),
    ("mangle", "FORWARD", "-o"),
)


class MasqueradeExemption:
    """Adds and removes the per-network exemption rule on the host running Podman."""

    def __init__(self, *, rootless: bool) -> None:
        self._iptables = shutil.which("iptables")
        # Only a rootful engine on this host puts its bridges in this host's iptables, and only
        # with br_netfilter do bridged frames meet netavark's masquerade rules at all.
        self.enabled = (
            self._iptables is not None and not rootless and os.geteuid() == 0 and BR_NETFILTER.exists()
        )

    @staticmethod
    def rule(bridge: str, network: str) -> list[str]:
        """The masquerade exemption's match and target (nat POSTROUTING), as iptables arguments."""
        return [
            "-o", bridge,
            "-m", "physdev", "--physdev-is-bridged",
            "-m", "comment", "--comment", COMMENT_PREFIX + network,
            "-j", "RETURN",
        ]  # fmt: skip

    @staticmethod
    def isolation_rule(bridge: str, network: str) -> list[str]:
        """Drop what the host itself routes from this bridge to another Podman bridge (filter FORWARD)."""
        return [
            "-i", bridge, "-o", "podman+",
            "-m", "physdev", "!", "--physdev-is-bridged",
            "-m", "comment", "--comment", COMMENT_PREFIX + network,
            "-j", "DROP",
        ]  # fmt: skip

    def add(self, bridge: str, network: str, *, isolate: bool = True) -> None:
        """Insert the rules for a new network (once, however often it is called)."""
        if not self.enabled or not bridge:
            return
        self.insert("nat", "POSTROUTING", self.rule(bridge, network))
        if isolate:
            self.insert("filter", "FORWARD", self.isolation_rule(bridge, network))

    def insert(self, table: str, chain: str, rule: list[str]) -> None:
        """Put one rule at the top of a chain unless it is there already."""
        if not self.enabled:
            return
        if self._run(table, "-C", chain, *rule, check=False).returncode != 0:
            self._run(table, "-I", chain, "1", *rule)

    def remove(self, bridge: str) -> None:
        """Delete every labkit rule for this bridge, stale copies included."""
        if not self.enabled or not bridge:
            return
        removed: set[tuple[str, ...]] = set()
        for table, chain, flag in _CHAINS:
            for rule in self.rules_for(bridge, table, chain, flag):
                if (table, *rule) not in removed:  # a rule naming the bridge twice is found twice
                    removed.add((table, *rule))
                    self._run(table, "-D", chain, *rule, check=False)

    def rules_for(
        self, bridge: str, table: str = "nat", chain: str = "POSTROUTING", flag: str = "-o"
    ) -> list[list[str]]:
        """labkit's rules on this bridge in one chain, as arguments after the chain name."""
        listing = self._run(table, "-S", chain, check=False).stdout
        found: list[list[str]] = []
        for line in listing.splitlines():
            words = shlex.split(line)
            if words[:2] != ["-A", chain]:
                continue
            rule = words[2:]
            if _value_after(rule, flag) == bridge and COMMENT_PREFIX.strip() in line:
                found.append(rule)
        return found

    def _run(self, table: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self._iptables is not None
        argv = [self._iptables, "-w", "5", "-t", table, *args]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"iptables failed ({' '.join(argv)}): {exc}") from exc
        if check and result.returncode != 0:
            raise EngineError(
                f"iptables failed ({' '.join(argv)}): {result.stderr.strip()}; "
                "routing between labkit networks through a router container needs this rule"
            )
        return result


def _value_after(words: list[str], flag: str) -> str | None:
    try:
        return words[words.index(flag) + 1]
    except (ValueError, IndexError):
        return None
