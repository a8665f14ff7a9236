"""Play an export on Podman (`podman kube play`): the same manifests, on one host, no cluster.

Podman reads Pods, ConfigMaps and PersistentVolumeClaims from YAML, but not what Multus adds
and not what needs a Kubernetes API, so labkit does those parts itself:

- networks: each lab network is created as labkit's `up` creates it (labelled, on the declared
  subnet) and every pod gets its interfaces as --network flags with the annotation's address
  and interface name (Podman cannot read them from YAML, podman #12965). A pod's eth0, on a
  cluster the pod network, is an internal Podman network of the namespace here;
- start order: the kubectl waits (init containers) need an API server, so they are left out
  and labkit plays the pods one by one in dependency order, waiting as they would: for a
  dependency's readiness probe (run by labkit, since Podman without systemd runs none), for it
  to run, or for a one-shot pod to exit 0;
- names: Podman has no namespaces, so pods and volumes get the namespace as a prefix;
  containers carry the pods' labels (io.labkit.project = the namespace), so labkit's checks
  find them as they find an `up` project's.

`unplay` removes everything `play_export` made, also after a failed play.
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

import yaml

from toolkit.errors import EngineError, NotFound, StackError, UsageError
from toolkit.export.kube.export import KubeExport
from toolkit.export.kube.manifest import Manifest
from toolkit.export.kube.networks import NETWORKS_ANNOTATION
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ExecResult, NetworkSpec
from toolkit.stack import naming
from toolkit.stack.health import GaveUp, NotReady, WaitTimedOut, poll, wait_completed, wait_running
from toolkit.stack.model import Stack
from toolkit.stack.plan import make_plan
from toolkit.stack.specs_from_model import network_spec

POD_NETWORK = "pod"  # the stand-in for the cluster's pod network: the pods' eth0


@runtime_checkable
class KubePlayer(Protocol):
    """An engine that plays Kubernetes YAML (Podman's adapter)."""

    def play_kube(self, document: str, networks: Sequence[str], sysctls: Mapping[str, str]) -> list[str]: ...

    def down_kube(self, document: str) -> None: ...


@dataclass
class Played:
    """What a play made, so that `unplay` removes exactly that."""

    namespace: str
    files: Path  # the ConfigMaps' files, mounted by hostPath
    documents: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    # Each pod's annotations as exported, by its name in the export: Podman keeps none longer
    # than 63 characters (the networks annotation), and the checks read them.
    annotations: dict[str, dict[str, str]] = field(default_factory=dict)


def play_export(runtime: Runtime, stack: Stack, export: KubeExport, *, timeout: float = 120.0) -> Played:
    """Play every pod of `export` (made from `stack`) in dependency order; wait for readiness.

    Raises:
        UsageError: the engine cannot play Kubernetes YAML (Docker).
        StackError: a pod did not become ready, or a one-shot pod failed; what was played
            is removed first.
    """
    if not isinstance(runtime, KubePlayer):
        raise UsageError(f"{runtime.name} cannot play Kubernetes YAML: use --engine podman")
    played = Played(export.namespace, Path(tempfile.mkdtemp(prefix=f"labkit-play-{export.namespace}-")))
    try:
        _create_networks(runtime, stack, export, played)
        _play_pods(runtime, stack, export, played, time.monotonic() + timeout)
    except BaseException:
        unplay(runtime, played)
        raise
    return played


def unplay(runtime: Runtime, played: Played) -> None:
    """`podman kube down` each played document, then remove the volumes and networks made."""
    assert isinstance(runtime, KubePlayer)
    # A lab's `sleep infinity` ignores SIGTERM: without a kill first, each pod takes the full
    # stop timeout (10 s) to go down.
    for container in runtime.list_containers(naming.project_selector(played.namespace), all=False):
        try:
            runtime.kill_container(container.id)
        except EngineError:
            pass  # it exited meanwhile: kube down removes it all the same
    for document in reversed(played.documents):
        runtime.down_kube(document)
    # What kube down does not know of: the probe containers the checks made on the networks.
    for container in runtime.list_containers(naming.project_selector(played.namespace), all=True):
        _forget(partial(runtime.remove_container, container.id, force=True))
    for volume in played.volumes:
        _forget(partial(runtime.remove_volume, volume, force=True))
    for network in reversed(played.networks):
        _forget(partial(runtime.remove_network, network))
    shutil.rmtree(played.files, ignore_errors=True)


def _forget(remove: Callable[[], None]) -> None:
    try:
        remove()
    except NotFound:
        pass  # already gone


def _create_networks(runtime: Runtime, stack: Stack, export: KubeExport, played: Played) -> None:
    namespace = export.namespace
    labels = naming.resource_labels(namespace, stack.folder.name)
    pod_network = NetworkSpec(naming.network_name(namespace, POD_NETWORK), internal=True, labels=labels)
    for spec in (
        pod_network,
        *(network_spec(namespace, stack.folder.name, stack.networks[key]) for key in _nads(export)),
    ):
        runtime.create_network(spec)
        played.networks.append(spec.name)


def _nads(export: KubeExport) -> list[str]:
    return [m["metadata"]["name"] for m in export.objects if m["kind"] == "NetworkAttachmentDefinition"]


def _play_pods(runtime: Runtime, stack: Stack, export: KubeExport, played: Played, deadline: float) -> None:
    assert isinstance(runtime, KubePlayer)
    namespace = export.namespace
    workloads = {m["metadata"]["name"]: m for m in export.objects if m["kind"] in ("Pod", "Job")}
    config_maps = {m["metadata"]["name"]: m for m in export.objects if m["kind"] == "ConfigMap"}
    for service in make_plan(stack).service_names:
        for dependency in stack.services[service].depends_on:
            _wait_for(runtime, namespace, dependency.service, workloads, dependency.condition, deadline)
        play_pod(runtime, played, workloads[service], config_maps)
    for service, workload in workloads.items():
        if workload["kind"] == "Pod":
            _wait_for(runtime, namespace, service, workloads, "service_healthy", deadline)


def play_pod(
    runtime: Runtime, played: Played, workload: Manifest, config_maps: Mapping[str, Manifest] | None = None
) -> None:
    """Play one Pod (or a Job's pod) of the export, or one made for it (the checks' probe).

    Raises:
        UsageError: the engine cannot play Kubernetes YAML (Docker).
    """
    if not isinstance(runtime, KubePlayer):
        raise UsageError(f"{runtime.name} cannot play Kubernetes YAML: use --engine podman")
    namespace = played.namespace
    pod, extra = _podman_documents(namespace, workload, dict(config_maps or {}), played.files)
    document = yaml.safe_dump_all([*extra, pod], sort_keys=False)
    sysctls = {s["name"]: s["value"] for s in pod["spec"].get("securityContext", {}).get("sysctls", [])}
    runtime.play_kube(document, _network_flags(namespace, workload), sysctls)
    played.documents.append(document)
    played.volumes += [d["metadata"]["name"] for d in extra if d["kind"] == "PersistentVolumeClaim"]
    template = workload if workload["kind"] == "Pod" else workload["spec"]["template"]
    played.annotations[workload["metadata"]["name"]] = dict(template["metadata"].get("annotations", {}))


def unplay_pod(runtime: Runtime, played: Played, name: str) -> None:
    """Take down one played pod (by its name in the export) as `unplay` would, and forget it."""
    assert isinstance(runtime, KubePlayer)
    podman_name = f"{played.namespace}-{name}"
    for document in list(played.documents):
        pods = [d for d in yaml.safe_load_all(document) if d and d.get("kind") == "Pod"]
        if any(pod["metadata"]["name"] == podman_name for pod in pods):
            for container in runtime.list_containers(naming.project_selector(played.namespace), all=False):
                if container.name.startswith(f"{podman_name}-"):
                    try:
                        runtime.kill_container(container.id)  # as in unplay: no stop timeout
                    except EngineError:
                        pass  # it exited meanwhile
            runtime.down_kube(document)
            played.documents.remove(document)
    played.annotations.pop(name, None)


def container_name(namespace: str, service: str) -> str:
    """The container `podman kube play` makes for a service's pod: `<pod>-<container>`."""
    return f"{namespace}-{service}-{service}"


def _podman_documents(
    namespace: str, workload: Manifest, config_maps: dict[str, Manifest], files: Path
) -> tuple[Manifest, list[Manifest]]:
    """The pod as Podman plays it, and the claims it needs, renamed likewise.

    Podman 4.3 ignores `subPath` on a ConfigMap volume (it mounts the folder where a file is
    due, and the container does not start) and names its ConfigMap volumes without a
    namespace: ConfigMaps go in as files under `files`, mounted by hostPath.
    """
    service = workload["metadata"]["name"]
    pod = copy.deepcopy(workload if workload["kind"] == "Pod" else _job_pod(workload))
    pod["metadata"]["name"] = f"{namespace}-{service}"
    # Podman 4.3 refuses annotation values over 63 characters (Kubernetes allows 256 KiB): the
    # networks annotation goes as flags instead (_network_flags reads the export's).
    annotations = pod["metadata"].pop("annotations", {})
    kept = {k: v for k, v in annotations.items() if k != NETWORKS_ANNOTATION and len(v) <= 63}
    if kept:
        pod["metadata"]["annotations"] = kept
    spec = pod["spec"]
    for key in ("initContainers", "serviceAccountName"):
        spec.pop(key, None)  # the waits speak to a Kubernetes API; labkit orders the pods itself
    for container in spec["containers"]:
        _containerd_defaults(container)
    extra: list[Manifest] = []
    mounts = {m["name"]: m for m in spec["containers"][0].get("volumeMounts", [])}
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            config_map = config_maps[volume.pop("configMap")["name"]]
            volume["hostPath"] = _config_map_on_host(config_map, mounts[volume["name"]], files)
        if "persistentVolumeClaim" in volume:
            claim = f"{namespace}-{volume['persistentVolumeClaim']['claimName']}"
            volume["persistentVolumeClaim"]["claimName"] = claim
            extra.append(_claim(claim))
    return pod, extra


def _config_map_on_host(config_map: Manifest, mount: Manifest, files: Path) -> Manifest:
    """Write a ConfigMap's files under `files`; the hostPath that mounts them as the pod would."""
    folder = files / config_map["metadata"]["name"]
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in config_map.get("data", {}).items():
        (folder / key).write_text(text, encoding="utf-8")
    for key, encoded in config_map.get("binaryData", {}).items():
        (folder / key).write_bytes(base64.b64decode(encoded))
    sub_path = mount.pop("subPath", None)
    if sub_path:
        return {"path": str(folder / sub_path), "type": "File"}
    return {"path": str(folder), "type": "Directory"}


def _containerd_defaults(container: Manifest) -> None:
    """Give the container NET_RAW, as containerd's default set does and Podman's does not.

    A pod on a containerd node (and Docker, which the exercises are written for) may open raw
    sockets, so `ping` works; Podman's defaults lack NET_RAW. Dropped explicitly, it stays out.
    """
    security = container.setdefault("securityContext", {})
    capabilities = security.setdefault("capabilities", {})
    added = capabilities.get("add", [])
    if not {"NET_RAW", "ALL"} & set(capabilities.get("drop", [])) and "NET_RAW" not in added:
        capabilities["add"] = [*added, "NET_RAW"]


def _job_pod(job: Manifest) -> Manifest:
    template = job["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": job["metadata"]["name"]},
        "spec": template["spec"],
    }


def _claim(name: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def _network_flags(namespace: str, workload: Manifest) -> list[str]:
    """The pod's eth0 on the namespace's pod network, then its lab interfaces as the annotation has them."""
    flags = [f"{naming.network_name(namespace, POD_NETWORK)}:interface_name=eth0"]
    pod = workload if workload["kind"] == "Pod" else workload["spec"]["template"]
    selection = json.loads(pod["metadata"].get("annotations", {}).get(NETWORKS_ANNOTATION, "[]"))
    for entry in selection:
        address = entry["ips"][0].split("/")[0]
        name = naming.network_name(namespace, entry["name"])
        flags.append(f"{name}:ip={address},interface_name={entry['interface']}")
    return flags


def _wait_for(
    runtime: Runtime,
    namespace: str,
    service: str,
    workloads: dict[str, Manifest],
    condition: str,
    deadline: float,
) -> None:
    container = container_name(namespace, service)
    try:
        if condition == "service_completed_successfully":
            wait_completed(runtime, container, deadline=deadline)
            return
        wait_running(runtime, container, deadline=deadline)
        workload = workloads[service]
        probe = workload["spec"]["containers"][0].get("readinessProbe") if workload["kind"] == "Pod" else None
        if condition == "service_healthy" and probe:
            _wait_ready(runtime, container, probe, deadline)
    except (GaveUp, WaitTimedOut) as exc:
        output = getattr(exc, "output", "")
        raise StackError(f"pod {namespace}-{service} did not become ready: {exc} {output}".strip()) from None


def _wait_ready(runtime: Runtime, container: str, probe: Manifest, deadline: float) -> ExecResult:
    """Run the pod's readiness probe as the kubelet would, until it passes."""
    argv = probe["exec"]["command"]

    def ready() -> ExecResult:
        try:
            result = runtime.exec(container, argv, timeout=float(probe["timeoutSeconds"]))
        except EngineError as exc:
            raise NotReady(str(exc)) from None
        if result.exit_code != 0:
            raise NotReady(result.stdout + result.stderr)
        return result

    return poll(ready, deadline=deadline, max_delay=lambda: float(probe["periodSeconds"]))
