"""`labkit check --kube`: the exec requests and pod look-ups, built against the client's models."""

from __future__ import annotations

import inspect
import json
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path

from kubernetes.client import CoreV1Api, V1Container, V1ObjectMeta, V1Pod, V1PodList, V1PodSpec, V1PodStatus

from toolkit.checks.kube import ServicePod, exec_argv, exec_request, service_pods, stack_as_exported
from toolkit.export.kube import export_stack
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Check
from toolkit.stack.renumber import SubnetMapping, apply_renumbering

COURSE = Path(__file__).resolve().parents[3] / "compose"


def pod(name: str, service: str | None, phase: str, annotations: dict[str, str] | None = None) -> V1Pod:
    labels = {"io.labkit.project": "alice"} | ({"io.labkit.service": service} if service else {})
    return V1Pod(
        metadata=V1ObjectMeta(name=name, labels=labels, annotations=annotations),
        spec=V1PodSpec(containers=[V1Container(name=service or name, image="x")]),
        status=V1PodStatus(phase=phase),
    )


def test_the_exec_request_binds_to_the_clients_exec_call() -> None:
    target = ServicePod("host1", "host1", {})
    request = exec_request("alice", target, ["ping", "-c", "1", "10.30.2.10"])
    bound = inspect.signature(CoreV1Api.connect_get_namespaced_pod_exec).bind(CoreV1Api, **request)
    assert bound.arguments["command"] == ["ping", "-c", "1", "10.30.2.10"]
    assert bound.arguments["container"] == "host1" and bound.arguments["namespace"] == "alice"
    assert request["stdin"] is False and request["tty"] is False and request["_preload_content"] is False


def test_a_check_as_another_user_runs_under_sudo() -> None:
    as_root = Check("ruleset", "web", ("nft", "list", "ruleset"), user="root")
    assert exec_argv(as_root) == ["sudo", "-n", "-u", "root", "--", "nft", "list", "ruleset"]
    assert exec_argv(replace(as_root, user=None)) == ["nft", "list", "ruleset"]


def test_each_service_is_found_by_its_label_among_running_pods() -> None:
    pods = V1PodList(
        items=[
            pod("host1", "host1", "Running"),
            pod("host2", "host2", "Pending"),
            pod("stray", None, "Running"),
        ]
    )
    found = service_pods(pods)
    assert found == {"host1": ServicePod("host1", "host1", {})}


def test_the_checks_take_the_addresses_the_pods_were_exported_with() -> None:
    declared = load_stack(COURSE / "routing" / "compose.yaml", environ={})
    moved = SubnetMapping({IPv4Network("10.30.2.0/24"): IPv4Network("10.143.6.0/24")})
    export = export_stack(apply_renumbering(replace(declared, name="alice"), moved))
    pods = {
        m["metadata"]["name"]: ServicePod(
            m["metadata"]["name"], m["metadata"]["name"], m["metadata"]["annotations"]
        )
        for m in export.objects
        if m["kind"] == "Pod"
    }
    checks = {c.name: c for c in stack_as_exported(declared, pods).exercise.checks}
    assert checks["host1 reaches host2 through the router"].run[-1].endswith("10.143.6.10")
    assert json.loads(pods["host2"].annotations["k8s.v1.cni.cncf.io/networks"])[0]["ips"] == [
        "10.143.6.10/24"
    ]
