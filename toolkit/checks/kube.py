"""An exercise's checks run on a Kubernetes or OpenShift cluster, through the API's exec.

`labkit check EXERCISE --kube` finds each service's pod in the project's namespace by labkit's
labels (the export puts them on every pod), runs the check's command in it as `kubectl exec`
would, and judges the result with the same rules as on an engine. Kubernetes' exec cannot
choose a user: a check that asks for one (`user: root`) runs under `sudo -n -u USER`, which the
course images allow the student without a password.

The `kubernetes` client is imported only here, so nothing else pays for loading it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from toolkit.checks.results import CheckResult, CheckRun, judge, not_run, timed_out
from toolkit.errors import EngineUnavailable, ExecTimeout, UsageError
from toolkit.runtime.specs import ExecResult
from toolkit.stack import naming
from toolkit.stack.model import Check, Stack
from toolkit.stack.renumber import apply_renumbering, recover_mapping

NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"


@dataclass(frozen=True)
class ServicePod:
    pod: str
    container: str
    annotations: Mapping[str, str]


def exec_argv(check: Check) -> list[str]:
    """The command to exec for a check: its argv, under sudo when it names a user."""
    if check.user:
        return ["sudo", "-n", "-u", check.user, "--", *check.run]
    return list(check.run)


def exec_request(namespace: str, target: ServicePod, argv: Sequence[str]) -> dict[str, Any]:
    """The arguments of CoreV1Api.connect_get_namespaced_pod_exec for one command."""
    return {
        "name": target.pod,
        "namespace": namespace,
        "command": list(argv),
        "container": target.container,
        "stderr": True,
        "stdin": False,
        "stdout": True,
        "tty": False,
        "_preload_content": False,
    }


def service_pods(pods: Any) -> dict[str, ServicePod]:
    """Each service's running pod, from a V1PodList of the namespace (by labkit's labels)."""
    found: dict[str, ServicePod] = {}
    for pod in pods.items:
        labels = pod.metadata.labels or {}
        service = labels.get(naming.LABEL_SERVICE)
        if service is None or pod.status is None or pod.status.phase != "Running":
            continue
        container = pod.spec.containers[0].name
        found[service] = ServicePod(pod.metadata.name, container, dict(pod.metadata.annotations or {}))
    return found


def stack_as_exported(stack: Stack, pods: Mapping[str, ServicePod]) -> Stack:
    """The stack with the subnets its pods have (an export of a renumbered project)."""
    import json

    current: dict[str, IPv4Network] = {}
    for target in pods.values():
        for entry in json.loads(target.annotations.get(NETWORKS_ANNOTATION, "[]")):
            if entry.get("name") in stack.networks and entry.get("ips"):
                current[entry["name"]] = IPv4Network(entry["ips"][0], strict=False)
    return apply_renumbering(stack, recover_mapping(stack, current))


def run_checks_on_cluster(
    stack: Stack, namespace: str, *, context: str | None = None, exercise: str | None = None
) -> CheckRun:
    """Run every check of the stack's exercise in the pods of `namespace`.

    Raises:
        EngineUnavailable: no cluster configuration, or the API server does not answer.
        UsageError: no pod of the exercise runs in the namespace.
    """
    api = _core_api(context)
    from kubernetes.client.exceptions import ApiException

    try:
        pods = service_pods(api.list_namespaced_pod(namespace, label_selector=naming.LABEL_SERVICE))
    except ApiException as exc:
        raise EngineUnavailable(f"the cluster refused to list pods in {namespace}: {exc.reason}") from exc
    if not pods:
        raise UsageError(
            f"no running pod of {stack.name} in namespace {namespace}: apply the export first "
            f"(labkit export kube {stack.name} -o DIR; kubectl apply -f DIR)"
        )
    stack = stack_as_exported(stack, pods)
    started = time.monotonic()
    results = tuple(_run(api, namespace, check, pods.get(check.service)) for check in stack.exercise.checks)
    return CheckRun(exercise or stack.name, namespace, results, time.monotonic() - started)


def _core_api(context: str | None) -> Any:
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        config.load_kube_config(context=context)  # type: ignore[no-untyped-call]
    except (ConfigException, FileNotFoundError) as exc:
        raise EngineUnavailable(
            f"no Kubernetes cluster configured ({exc}): set KUBECONFIG or use --context"
        ) from exc
    return client.CoreV1Api()


def _run(api: Any, namespace: str, check: Check, target: ServicePod | None) -> CheckResult:
    if target is None:
        return not_run(check, f"service {check.service!r} has no running pod in {namespace}")
    from kubernetes.stream import stream

    started = time.monotonic()
    response = stream(
        api.connect_get_namespaced_pod_exec, **exec_request(namespace, target, exec_argv(check))
    )
    response.run_forever(timeout=check.timeout)
    stdout, stderr = response.read_stdout(), response.read_stderr()
    if response.is_open():
        response.close()
        exc = ExecTimeout(
            f"{check.name}: no answer in {check.timeout:g}s", timeout=check.timeout, output=stdout
        )
        return timed_out(check, exc, time.monotonic() - started)
    result = ExecResult(int(response.returncode or 0), stdout, stderr, time.monotonic() - started)
    return judge(check, result)
