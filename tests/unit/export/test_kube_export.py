"""`labkit export kube`: every course exercise as manifests that Kubernetes and Multus accept."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from tests.unit.export.nad_schema import BRIDGE_CONFIG_SCHEMA, NAD_SCHEMA, SELECTION_SCHEMA
from toolkit.errors import UsageError
from toolkit.export.kube import KubeExport, export_stack, write_export
from toolkit.export.kube.layout import bridge_name
from toolkit.export.kube.networks import NETWORKS_ANNOTATION
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Stack, VolumeMount
from toolkit.stack.renumber import SubnetMapping, apply_renumbering

# The Kubernetes version the manifests are checked against: the oldest whose kubectl has
# `wait --for=create`, which the start-order waits use.
KUBERNETES_VERSION = "1.31.0"
COURSE = Path(__file__).resolve().parents[3] / "compose"
EXERCISES = sorted(p.name for p in COURSE.iterdir() if (p / "compose.yaml").is_file())


def load(exercise: str) -> Stack:
    return load_stack(COURSE / exercise / "compose.yaml", environ={})


@pytest.fixture(scope="module")
def exports() -> dict[str, KubeExport]:
    return {name: export_stack(load(name), registry="registry.lab:5000") for name in EXERCISES}


def by_kind(export: KubeExport, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in export.objects if m["kind"] == kind}


def test_the_course_has_exercises_to_export() -> None:
    assert {"dns", "routing", "web-db"} <= set(EXERCISES)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_object_passes_strict_validation(exports: dict[str, KubeExport], exercise: str) -> None:
    export = exports[exercise]
    checked = 0
    for manifest in export.objects:
        if manifest["kind"] == "NetworkAttachmentDefinition":
            jsonschema.validate(manifest, NAD_SCHEMA)
            jsonschema.validate(json.loads(manifest["spec"]["config"]), BRIDGE_CONFIG_SCHEMA)
        else:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        checked += 1
    assert checked == len(export.objects) > 3
    for pod in by_kind(export, "Pod").values():
        if NETWORKS_ANNOTATION in pod["metadata"].get("annotations", {}):
            jsonschema.validate(
                json.loads(pod["metadata"]["annotations"][NETWORKS_ANNOTATION]), SELECTION_SCHEMA
            )


def test_strict_validation_refuses_an_unknown_field(exports: dict[str, KubeExport]) -> None:
    pod = copy.deepcopy(by_kind(exports["routing"], "Pod")["router"])
    pod["spec"]["containers"][0]["capabilitiez"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)
    nad = copy.deepcopy(by_kind(exports["routing"], "NetworkAttachmentDefinition")["lan1"])
    config = json.loads(nad["spec"]["config"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**config, "plugins": [{**config["plugins"][0], "brige": "x"}]}, BRIDGE_CONFIG_SCHEMA
        )


def test_routing_keeps_addresses_capabilities_sysctls_and_start_order(exports: dict[str, KubeExport]) -> None:
    export = exports["routing"]
    assert export.namespace == "routing"
    namespace = by_kind(export, "Namespace")["routing"]
    assert namespace["metadata"]["labels"] == {
        "io.labkit.project": "routing",
        "io.labkit.exercise": "routing",
    }
    router = by_kind(export, "Pod")["router"]
    selection = json.loads(router["metadata"]["annotations"][NETWORKS_ANNOTATION])
    assert selection == [
        {"name": "lan1", "interface": "lan1", "ips": ["10.30.1.254/24"]},
        {"name": "lan2", "interface": "lan2", "ips": ["10.30.2.254/24"]},
    ]
    assert router["spec"]["securityContext"] == {
        "sysctls": [
            {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"},  # Docker's, in every container
            {"name": "net.ipv4.ping_group_range", "value": "0 2147483647"},
            {"name": "net.ipv4.ip_forward", "value": "1"},  # the service's own
        ]
    }
    container = router["spec"]["containers"][0]
    assert container["image"] == "registry.lab:5000/labkit/netlab:debian-bookworm"
    assert container["securityContext"] == {"capabilities": {"add": ["NET_ADMIN"]}, "runAsUser": 1000}
    assert container["args"] == ["sleep", "infinity"]
    assert router["spec"]["hostname"] == "router"
    assert router["spec"]["shareProcessNamespace"] is True  # init: true
    host1 = by_kind(export, "Pod")["host1"]
    waits = [c["command"] for c in host1["spec"]["initContainers"]]
    assert waits == [
        ["kubectl", "wait", "--for=create", "pod/router", "--timeout=600s"],
        ["kubectl", "wait", "--for=jsonpath={.status.phase}=Running", "pod/router", "--timeout=600s"],
    ]
    assert host1["spec"]["serviceAccountName"] == "labkit-waiter"
    assert host1["spec"]["hostAliases"] == [{"ip": "10.30.1.254", "hostnames": ["router"]}]
    role = by_kind(export, "Role")["labkit-waiter"]
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"get", "list", "watch"}


def test_dns_mounts_its_file_as_a_config_map_and_probes_like_the_image(
    exports: dict[str, KubeExport],
) -> None:
    export = exports["dns"]
    config = by_kind(export, "ConfigMap")["dns-vol-0"]
    assert config["data"]["lab.conf"] == (COURSE / "dns" / "lab.conf").read_text()
    dns = by_kind(export, "Pod")["dns"]
    container = dns["spec"]["containers"][0]
    assert container["volumeMounts"] == [
        {"name": "vol-0", "mountPath": "/etc/dnsmasq.d/lab.conf", "readOnly": True, "subPath": "lab.conf"}
    ]
    probe = container["readinessProbe"]  # images/dns/Containerfile's HEALTHCHECK
    assert probe["periodSeconds"] == 5 and probe["timeoutSeconds"] == 3 and probe["failureThreshold"] == 3
    assert probe["exec"]["command"][0] != "CMD"
    client = by_kind(export, "Pod")["client"]
    assert [c["command"][2] for c in client["spec"]["initContainers"]] == [
        "--for=create",
        "--for=condition=Ready",
        "--for=create",
        "--for=condition=Ready",
    ]
    assert "automountServiceAccountToken" not in client["spec"]
    assert dns["spec"]["automountServiceAccountToken"] is False


def test_web_db_gets_engine_like_addresses_and_a_claim(exports: dict[str, KubeExport]) -> None:
    export = exports["web-db"]
    assert by_kind(export, "PersistentVolumeClaim")["db-data"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    pods = by_kind(export, "Pod")
    addresses = {
        name: [entry["ips"][0] for entry in json.loads(pod["metadata"]["annotations"][NETWORKS_ANNOTATION])]
        for name, pod in pods.items()
    }
    # The engine's gateway (.1) is skipped, then addresses go in the file's order.
    assert addresses == {
        "db": ["10.60.1.2/24"],
        "web": ["10.60.1.3/24", "10.60.2.2/24"],
        "client": ["10.60.2.3/24", "10.60.1.4/24"],
    }
    client_aliases = {a["hostnames"][0]: a["ip"] for a in pods["client"]["spec"]["hostAliases"]}
    assert client_aliases == {"db": "10.60.1.2", "web": "10.60.2.2"}  # web on the first shared network


def test_bridges_differ_per_namespace_and_fit_an_interface_name() -> None:
    names = {bridge_name(ns, net) for ns in ("alice", "bob") for net in ("lan1", "lan2")}
    assert len(names) == 4
    assert all(len(name) <= 15 for name in names)


def test_a_renumbered_project_exports_its_own_addresses() -> None:
    stack = replace(load("routing"), name="alice")
    mapping = SubnetMapping({IPv4Network("10.30.1.0/24"): IPv4Network("10.143.5.0/24")})
    export = export_stack(apply_renumbering(stack, mapping))
    router = by_kind(export, "Pod")["router"]
    selection = json.loads(router["metadata"]["annotations"][NETWORKS_ANNOTATION])
    assert [entry["ips"] for entry in selection] == [["10.143.5.254/24"], ["10.30.2.254/24"]]
    assert export.namespace == "alice"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"privileged": True}, "uses privileged"),
        ({"volumes": (VolumeMount("bind", "/etc/x", "/etc/hostname"),)}, "writable"),
        ({"image": None}, "uses build"),
        ({"user": "nobody"}, "user 'nobody'"),
        ({"pids_limit": 10}, "uses pids_limit"),
    ],
)
def test_what_has_no_kubernetes_form_is_refused_by_name(change: dict[str, Any], named: str) -> None:
    stack = load("routing")
    router = replace(stack.services["router"], **change)
    with pytest.raises(UsageError) as caught:
        export_stack(replace(stack, services={**stack.services, "router": router}))
    message = str(caught.value)
    assert "service 'router'" in message and named in message and "no Kubernetes form" in message
    assert "\n" not in message


def test_files_come_in_apply_order(tmp_path: Path, exports: dict[str, KubeExport]) -> None:
    written = write_export(exports["web-db"], tmp_path)
    assert [p.name for p in written] == [
        "00-namespace.yaml",
        "10-access.yaml",
        "20-networks.yaml",
        "30-storage.yaml",
        "40-client.yaml",
        "40-db.yaml",
        "40-web.yaml",
    ]
    documents = [doc for path in written for doc in yaml.safe_load_all(path.read_text())]
    assert documents == exports["web-db"].objects


def test_cli_writes_the_manifests_and_refuses_bad_input(tmp_path: Path) -> None:
    from toolkit.cli.app import register_commands

    app = register_commands()
    runner = CliRunner()
    done = runner.invoke(app, ["export", "kube", str(COURSE / "routing"), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert (
        "namespace routing: 6 files in" in done.output
        and "   3 Pod" in done.output
        and (tmp_path / "out" / "40-router.yaml").is_file()
    )
    bad = runner.invoke(app, ["export", "kube", "routing", "-o", str(tmp_path), "--registry", "http://x"])
    assert isinstance(bad.exception, UsageError) and "--registry" in str(bad.exception)
    assert bad.exception.exit_code == 2


def test_a_service_without_a_subnet_is_refused() -> None:
    stack = load("web-db")
    networks = {key: replace(net, subnet=None) for key, net in stack.networks.items()}
    with pytest.raises(UsageError, match="has no subnet"):
        export_stack(replace(stack, networks=networks))


def test_a_links_alias_is_a_host_alias_of_the_linking_pod(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: x\n    links: ['db:database']\n  db:\n    image: x\n"
        "networks:\n  default:\n    ipam: {config: [{subnet: 10.61.0.0/24}]}\n"
    )
    export = export_stack(load_stack(tmp_path / "compose.yaml", environ={}, project="links"))
    aliases = by_kind(export, "Pod")["web"]["spec"]["hostAliases"]
    assert aliases == [{"ip": "10.61.0.3", "hostnames": ["db", "database"]}]
    assert "database" not in json.dumps(by_kind(export, "Pod")["db"]["spec"].get("hostAliases", []))
