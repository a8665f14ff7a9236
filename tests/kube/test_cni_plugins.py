"""The exported NetworkAttachmentDefinitions' CNI configs, run by the real CNI plugins.

Multus hands a NAD's configuration list to the plugins as libcni does: each plugin in turn,
with the pod's `ips` from the networks annotation as runtime configuration (the `ips`
capability) and the previous plugin's result; DEL in reverse. This test does the same with the
plugin binaries of Debian's containernetworking-plugins, in network namespaces it creates, for
every pod of every course exercise: the interface has the annotation's name and address, two
pods on one network reach each other over the bridge, and nothing is left afterwards. The
exercises are renumbered into subnets this host has no route for, since the engines' NAT rules
for a subnet (another copy of the exercise running here) also catch bridged frames.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from toolkit.export.kube import KubeExport, export_stack
from toolkit.export.kube.networks import NETWORKS_ANNOTATION
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.renumber import apply_renumbering, plan_renumbering

CNI_PATH = Path("/usr/lib/cni")
COURSE = Path(__file__).resolve().parents[2] / "compose"
EXERCISES = sorted(p.name for p in COURSE.iterdir() if (p / "compose.yaml").is_file())


def _need(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason} (scripts/provision-engines installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def host_can_run_plugins() -> None:
    _need(os.geteuid() == 0, "network namespaces need root")
    _need((CNI_PATH / "bridge").is_file(), f"no CNI plugins in {CNI_PATH} (containernetworking-plugins)")
    _need(shutil.which("busybox") is not None, "no busybox for ping (busybox-static)")


def run(*argv: str, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stdout}{done.stderr}"
    return done.stdout


def plugin(command: str, conf: dict[str, Any], netns: str, interface: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ["PATH"],
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": netns,
        "CNI_NETNS": f"/var/run/netns/{netns}",
        "CNI_IFNAME": interface,
        "CNI_PATH": str(CNI_PATH),
    }
    output = run(str(CNI_PATH / conf["type"]), stdin=json.dumps(conf), env=env)
    return json.loads(output) if output.strip() else {}


def plugin_confs(
    config_list: dict[str, Any], cidr: str, prev: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    for entry in config_list["plugins"]:
        conf = {**entry, "cniVersion": config_list["cniVersion"], "name": config_list["name"]}
        if entry.get("capabilities", {}).get("ips"):
            conf["runtimeConfig"] = {"ips": [cidr]}
        if prev is not None:
            conf["prevResult"] = prev
        yield conf


def attach(config_list: dict[str, Any], netns: str, interface: str, cidr: str) -> dict[str, Any]:
    """ADD through the list, as libcni does; returns the last result (DEL is given it)."""
    result: dict[str, Any] | None = None
    for entry in config_list["plugins"]:
        (conf,) = [c for c in plugin_confs({**config_list, "plugins": [entry]}, cidr, result)]
        result = plugin("ADD", conf, netns, interface)
    assert result is not None
    return result


def detach(
    config_list: dict[str, Any], netns: str, interface: str, cidr: str, result: dict[str, Any]
) -> None:
    for conf in reversed(list(plugin_confs(config_list, cidr, result))):
        plugin("DEL", conf, netns, interface)


def iptables_chains() -> set[str]:
    return {line.split()[1] for line in run("iptables", "-S").splitlines() if line.startswith("-N")}


def host_subnets() -> list[IPv4Network]:
    """The subnets this host routes: an engine network of the same subnet brings NAT rules
    (Docker masquerades its subnet's traffic leaving other bridges) that would meddle."""
    routes = run("ip", "-4", "-o", "route", "show").split()
    return [IPv4Network(word, strict=False) for word in routes if "/" in word and word[0].isdigit()]


@pytest.fixture(scope="module")
def exports() -> dict[str, KubeExport]:
    project = f"lkcni{os.getpid()}"  # its own bridges: another run's have other names
    taken = host_subnets()
    found = {}
    for name in EXERCISES:
        stack = replace(load_stack(COURSE / name / "compose.yaml", environ={}), name=project)
        # Subnets no network of this host has, as `--renumber` would choose them.
        mapping = plan_renumbering(stack, taken, IPv4Network("10.192.0.0/10"))
        found[name] = export_stack(apply_renumbering(stack, mapping))
    return found


@pytest.mark.parametrize("exercise", EXERCISES)
def test_each_pod_gets_its_interfaces_from_the_real_plugins(
    exports: dict[str, KubeExport], exercise: str
) -> None:
    export = exports[exercise]
    networks = {
        m["metadata"]["name"]: json.loads(m["spec"]["config"])
        for m in export.objects
        if m["kind"] == "NetworkAttachmentDefinition"
    }
    pods = {
        m["metadata"]["name"]: json.loads(m["metadata"]["annotations"][NETWORKS_ANNOTATION])
        for m in export.objects
        if m["kind"] == "Pod"
    }
    chains_before = iptables_chains()
    attached: list[tuple[str, dict[str, Any], str, str, dict[str, Any]]] = []
    namespaces: list[str] = []
    try:
        for pod, selection in pods.items():
            netns = f"{export.namespace}-{exercise}-{pod}"
            run("ip", "netns", "add", netns)
            namespaces.append(netns)
            for entry in selection:
                config_list = networks[entry["name"]]
                result = attach(config_list, netns, entry["interface"], entry["ips"][0])
                attached.append((netns, config_list, entry["interface"], entry["ips"][0], result))
                shown = run(
                    "ip", "netns", "exec", netns, "ip", "-4", "-o", "addr", "show", "dev", entry["interface"]
                )
                assert f"inet {entry['ips'][0]} " in shown
        _peers_reach_each_other(export.namespace, exercise, pods)
    finally:
        for netns, config_list, interface, cidr, result in reversed(attached):
            detach(config_list, netns, interface, cidr, result)
        for netns in namespaces:
            run("ip", "netns", "del", netns)
        for config_list in networks.values():
            bridge = config_list["plugins"][0]["bridge"]
            subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        _drop_new_chains(chains_before)
    links = run("ip", "-o", "link", "show")
    assert not any(c["plugins"][0]["bridge"] in links for c in networks.values())
    assert not any(ns in run("ip", "netns", "list") for ns in namespaces)


def _peers_reach_each_other(namespace: str, exercise: str, pods: dict[str, list[dict[str, Any]]]) -> None:
    """The first two pods sharing a network ping each other over its bridge."""
    on_network: dict[str, list[tuple[str, str]]] = {}
    for pod, selection in pods.items():
        for entry in selection:
            on_network.setdefault(entry["name"], []).append((pod, entry["ips"][0].split("/")[0]))
    shared = [members for members in on_network.values() if len(members) >= 2]
    assert shared, f"{exercise}: no network with two pods"
    (first, _), (_, address) = shared[0][:2]
    netns = f"{namespace}-{exercise}-{first}"
    ping = ["ip", "netns", "exec", netns, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", address]
    done = subprocess.run(ping, capture_output=True, text=True, check=False)
    rules = run("iptables", "-S", "FORWARD") + run("iptables", "-S", "CNI-FORWARD")
    assert done.returncode == 0, f"{exercise}: {done.stdout}\n{rules}"


def _drop_new_chains(before: set[str]) -> None:
    """Remove the firewall plugin's chains when this test created them (they are shared)."""
    new = {"CNI-FORWARD", "CNI-ADMIN"} & (iptables_chains() - before)
    if "CNI-FORWARD" in new:
        rule = ["FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules", "-j", "CNI-FORWARD"]
        subprocess.run(["iptables", "-D", *rule], capture_output=True, check=False)
    for chain in sorted(new, reverse=True):  # CNI-FORWARD jumps to CNI-ADMIN: flush it first
        run("iptables", "-F", chain)
    for chain in sorted(new, reverse=True):
        run("iptables", "-X", chain)
