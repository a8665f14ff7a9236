"""`labkit check --kube`: the requests to the API server and the probe pod, built against the
`kubernetes` client's own models.

The client is real (its generated CoreV1Api, its pydantic models, its serialisation); only the
HTTP call under it is answered by a small in-memory API server, which records what was sent.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema
import kubernetes_validate
import pytest
from kubernetes.client import (
    ApiClient,
    Configuration,
    CoreV1Api,
    V1Container,
    V1ContainerState,
    V1ContainerStateWaiting,
    V1ContainerStatus,
    V1ObjectMeta,
    V1Pod,
    V1PodSpec,
    V1PodStatus,
)
from kubernetes.client.rest import RESTResponse

from tests.unit.export.nad_schema import SELECTION_SCHEMA
from toolkit.checks.kube.cluster import ClusterPods, exec_request, pod_facts
from toolkit.checks.kube.pods import PodFacts, exec_argv, run_checks_in_pods, service_pods, stack_as_exported
from toolkit.checks.kube.probe_pod import probe_pod
from toolkit.errors import EngineError, NameConflict, UsageError
from toolkit.export.kube import export_stack
from toolkit.export.kube.networks import NETWORKS_ANNOTATION
from toolkit.runtime.specs import ExecResult
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.health import Pace
from toolkit.stack.model import Check, Stack
from toolkit.stack.renumber import SubnetMapping, apply_renumbering

COURSE = Path(__file__).resolve().parents[3] / "compose"
KUBERNETES_VERSION = "1.31.0"
REGISTRY = "registry.lab:5000"
NO_SLEEP = Pace(sleep=lambda seconds: None)


def load(exercise: str, project: str = "alice") -> Stack:
    return replace(load_stack(COURSE / exercise / "compose.yaml", environ={}), name=project)


class ApiServer:
    """The pods of one namespace behind a real CoreV1Api: each request recorded, each answer
    JSON the client deserialises into its models. A created pod runs from its second read on."""

    def __init__(self, pods: Sequence[dict[str, Any]], *, probe_phase: str = "Running") -> None:
        self.pods = {p["metadata"]["name"]: {**p, "status": {"phase": "Running"}} for p in pods}
        self.requests: list[tuple[str, str, dict[str, list[str]], Any]] = []
        self.probe_phase = probe_phase
        self._reads: dict[str, int] = {}
        client = ApiClient(Configuration(host="https://cluster.lab:6443"))
        client.call_api = self.call_api  # type: ignore[method-assign]
        self.api = CoreV1Api(client)

    def call_api(
        self, method: str, url: str, header_params: Any = None, body: Any = None, *_: Any, **__: Any
    ) -> Any:
        parsed = urlparse(url)
        self.requests.append((method, parsed.path, parse_qs(parsed.query), body))
        parts = parsed.path.split("/")  # /api/v1/namespaces/NS/pods[/NAME]
        name = parts[6] if len(parts) > 6 else None
        if method == "GET" and name is None:
            return _answer(200, {"apiVersion": "v1", "kind": "PodList", "items": list(self.pods.values())})
        if method == "GET" and name is not None:
            if name not in self.pods:
                return _answer(404, {"kind": "Status", "reason": "NotFound"})
            self._reads[name] = self._reads.get(name, 0) + 1
            if self.pods[name]["status"]["phase"] == "Pending" and self._reads[name] > 1:
                self.pods[name]["status"] = {"phase": self.probe_phase}
            return _answer(200, self.pods[name])
        if method == "POST":
            created = dict(body)
            if created["metadata"]["name"] in self.pods:
                return _answer(409, {"kind": "Status", "reason": "AlreadyExists"})
            created["status"] = {"phase": "Pending"}
            self.pods[created["metadata"]["name"]] = created
            return _answer(201, created)
        if method == "DELETE" and name is not None:
            return _answer(200, self.pods.pop(name))
        raise AssertionError(f"unexpected request {method} {url}")


def _answer(status: int, document: dict[str, Any]) -> RESTResponse:
    answer = RESTResponse(
        SimpleNamespace(
            status=status,
            reason="x",
            data=json.dumps(document).encode(),
            headers={"content-type": "application/json"},
        )
    )
    answer.read()
    return answer


class ScriptedExec(ClusterPods):
    """The cluster's pods with every exec answered (an exec is a websocket: its request is
    checked on its own below); everything else goes through the client."""

    def __init__(self, api: Any, namespace: str) -> None:
        super().__init__(api, namespace)
        self.execs: list[tuple[str, list[str]]] = []

    def exec(self, pod: PodFacts, argv: Sequence[str], timeout: float) -> ExecResult:
        self.execs.append((pod.name, list(argv)))
        exec_request(self.namespace, pod, argv)  # buildable for this pod
        return ExecResult(0, "inet 10.20.0.101/24\n3 packets transmitted, 3 received\n", "")


def exported_pods(stack: Stack, registry: str | None = REGISTRY) -> list[dict[str, Any]]:
    return [m for m in export_stack(stack, registry=registry).objects if m["kind"] == "Pod"]


def test_the_exec_request_binds_to_the_clients_exec_call() -> None:
    target = PodFacts("host1", "host1", "Running")
    request = exec_request("alice", target, ["ping", "-c", "1", "10.30.2.10"])
    bound = inspect.signature(CoreV1Api.connect_get_namespaced_pod_exec).bind(CoreV1Api, **request)
    assert bound.arguments["command"] == ["ping", "-c", "1", "10.30.2.10"]
    assert bound.arguments["container"] == "host1" and bound.arguments["namespace"] == "alice"
    assert request["stdin"] is False and request["tty"] is False and request["_preload_content"] is False


def test_a_check_as_another_user_runs_under_sudo() -> None:
    as_root = Check("ruleset", "web", ("nft", "list", "ruleset"), user="root")
    assert exec_argv(as_root) == ["sudo", "-n", "-u", "root", "--", "nft", "list", "ruleset"]
    assert exec_argv(as_root, runs_as="root") == ["nft", "list", "ruleset"]
    assert exec_argv(replace(as_root, user=None)) == ["nft", "list", "ruleset"]


def test_pods_read_from_the_clients_models() -> None:
    waiting = V1ContainerStatus(
        name="probe",
        image="x",
        image_id="",
        ready=False,
        restart_count=0,
        state=V1ContainerState(
            waiting=V1ContainerStateWaiting(reason="ImagePullBackOff", message="no such image")
        ),
    )
    pod = V1Pod(
        metadata=V1ObjectMeta(name="probe-lan", labels={"io.labkit.probe": "lan"}),
        spec=V1PodSpec(containers=[V1Container(name="probe", image="r/labkit/base:x")]),
        status=V1PodStatus(phase="Pending", container_statuses=[waiting]),
    )
    facts = pod_facts(pod)
    assert (facts.name, facts.container, facts.phase, facts.probe, facts.service) == (
        "probe-lan",
        "probe",
        "Pending",
        "lan",
        None,
    )
    assert facts.reason == "ImagePullBackOff: no such image" and facts.image == "r/labkit/base:x"
    listed = [facts, PodFacts("host1", "host1", "Running", {"io.labkit.service": "host1"})]
    assert list(service_pods(listed)) == ["host1"]


@pytest.mark.parametrize("exercise", ["hostname-ip", "firewall"])
def test_the_probe_pod_is_a_valid_pod_on_the_exports_network(exercise: str) -> None:
    stack = load(exercise)
    export = export_stack(stack, registry=REGISTRY)
    manifest = probe_pod(stack, "alice", "lan", f"{REGISTRY}/labkit/base:debian-bookworm")
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    model = V1Pod.from_dict(manifest)
    assert ApiClient().sanitize_for_serialization(model) == manifest  # every field is the client's
    selection = json.loads(manifest["metadata"]["annotations"][NETWORKS_ANNOTATION])
    jsonschema.validate(selection, SELECTION_SCHEMA)
    nads = {m["metadata"]["name"] for m in export.objects if m["kind"] == "NetworkAttachmentDefinition"}
    services = [m for m in export.objects if m["kind"] == "Pod"]
    (entry,) = selection
    assert entry["name"] in nads  # the NetworkAttachmentDefinition the export writes
    taken = {
        e["ips"][0]
        for pod in services
        for e in json.loads(pod["metadata"]["annotations"][NETWORKS_ANNOTATION])
        if e["name"] == "lan"
    }
    interfaces = {
        e["interface"]
        for pod in services
        for e in json.loads(pod["metadata"]["annotations"][NETWORKS_ANNOTATION])
        if e["name"] == "lan"
    }
    assert entry["ips"][0] not in taken and entry["interface"] in interfaces
    subnet = IPv4Network(stack.networks["lan"].subnet or "")
    assert IPv4Address(entry["ips"][0].split("/")[0]) in subnet
    assert manifest["spec"]["affinity"] == services[0]["spec"]["affinity"]  # on the lab's node
    assert manifest["metadata"]["labels"] == {
        "io.labkit.project": "alice",
        "io.labkit.exercise": exercise,
        "io.labkit.probe": "lan",
    }
    security = manifest["spec"]["containers"][0]["securityContext"]
    assert security == {"runAsUser": 0, "capabilities": {"add": ["NET_RAW"]}}
    aliases = {name: a["ip"] for a in manifest["spec"]["hostAliases"] for name in a["hostnames"]}
    assert set(aliases) >= {s for s in stack.services if stack.services[s].networks}


def test_a_check_run_makes_the_probe_pod_once_through_the_client() -> None:
    stack = load("hostname-ip")
    server = ApiServer(exported_pods(stack))
    pods = ScriptedExec(server.api, "alice")
    first = run_checks_in_pods(stack, pods, pace=NO_SLEEP)
    second = run_checks_in_pods(stack, pods, pace=NO_SLEEP)
    assert first.project == "alice" and second.project == "alice"
    posts = [r for r in server.requests if r[0] == "POST"]
    assert len(posts) == 1  # made by the first run, found by the second
    method, path, _, body = posts[0]
    assert path == "/api/v1/namespaces/alice/pods"
    assert body == probe_pod(stack, "alice", "lan", f"{REGISTRY}/labkit/base:debian-bookworm")
    lists = [r for r in server.requests if r[0] == "GET" and r[1].endswith("/pods")]
    assert [query["labelSelector"] for _, _, query, _ in lists] == [["io.labkit.project"]] * 2
    ran_in = {pod for pod, _ in pods.execs}
    assert "probe-lan" in ran_in and {"host1", "host2"} <= ran_in


def test_an_ended_probe_pod_is_replaced_and_one_made_meanwhile_is_taken() -> None:
    stack = load("hostname-ip")
    ended = probe_pod(stack, "alice", "lan", f"{REGISTRY}/labkit/base:debian-bookworm")
    server = ApiServer([*exported_pods(stack), ended])
    server.pods["probe-lan"]["status"] = {"phase": "Failed"}
    pods = ScriptedExec(server.api, "alice")
    run_checks_in_pods(stack, pods, pace=NO_SLEEP)
    methods = [(method, path.rsplit("/", 1)[-1]) for method, path, _, _ in server.requests]
    assert ("DELETE", "probe-lan") in methods
    assert methods.index(("DELETE", "probe-lan")) < methods.index(("POST", "pods"))
    delete = next(r for r in server.requests if r[0] == "DELETE")
    assert delete[2].get("gracePeriodSeconds") == ["0"]
    with pytest.raises(NameConflict):
        pods.create_pod(ended)  # the client's 409 is labkit's NameConflict, which the probe takes


def test_a_probe_pod_that_ends_is_an_error_naming_it() -> None:
    stack = load("hostname-ip")
    server = ApiServer(exported_pods(stack), probe_phase="Failed")
    with pytest.raises(EngineError, match="probe pod probe-lan ended .Failed. in alice"):
        run_checks_in_pods(stack, ScriptedExec(server.api, "alice"), pace=NO_SLEEP)


def test_no_running_pod_is_a_usage_error_saying_what_to_apply() -> None:
    server = ApiServer([])
    with pytest.raises(
        UsageError, match="no running pod of alice in namespace alice: apply the export first"
    ):
        run_checks_in_pods(load("hostname-ip"), ClusterPods(server.api, "alice"))


def test_the_checks_take_the_addresses_the_pods_were_exported_with() -> None:
    declared = load_stack(COURSE / "routing" / "compose.yaml", environ={})
    moved = SubnetMapping({IPv4Network("10.30.2.0/24"): IPv4Network("10.143.6.0/24")})
    export = export_stack(apply_renumbering(replace(declared, name="alice"), moved))
    pods = [
        PodFacts(m["metadata"]["name"], m["metadata"]["name"], "Running", {}, m["metadata"]["annotations"])
        for m in export.objects
        if m["kind"] == "Pod"
    ]
    checks = {c.name: c for c in stack_as_exported(declared, pods).exercise.checks}
    assert checks["host1 reaches host2 through the router"].run[-1].endswith("10.143.6.10")
    host2 = next(p for p in pods if p.name == "host2")
    assert json.loads(host2.annotations[NETWORKS_ANNOTATION])[0]["ips"] == ["10.143.6.10/24"]
