"""`labkit check EXERCISE --kube`: the checks in a cluster's pods, through the Kubernetes API.

Pods are listed by labkit's project label, commands run through the API's exec (what
`kubectl exec` does), the probe pod is created and read as any pod is. The `kubernetes` client
is imported only here, and only when a cluster is asked, so nothing else pays for loading it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from toolkit.checks.kube.pods import PodFacts, run_checks_in_pods
from toolkit.checks.results import CheckRun
from toolkit.errors import EngineError, EngineUnavailable, ExecTimeout, NameConflict, NotFound
from toolkit.export.kube.manifest import Manifest
from toolkit.runtime.specs import ExecResult
from toolkit.stack import naming
from toolkit.stack.model import Stack


def exec_request(namespace: str, pod: PodFacts, argv: Sequence[str]) -> dict[str, Any]:
    """The arguments of CoreV1Api.connect_get_namespaced_pod_exec for one command."""
    return {
        "name": pod.name,
        "namespace": namespace,
        "command": list(argv),
        "container": pod.container,
        "stderr": True,
        "stdin": False,
        "stdout": True,
        "tty": False,
        "_preload_content": False,
    }


def list_request(namespace: str) -> dict[str, Any]:
    """The arguments of CoreV1Api.list_namespaced_pod: labkit's pods, services and probes."""
    return {"namespace": namespace, "label_selector": naming.LABEL_PROJECT}


def create_request(namespace: str, manifest: Manifest) -> dict[str, Any]:
    """The arguments of CoreV1Api.create_namespaced_pod for a pod labkit makes (the probe)."""
    return {"namespace": namespace, "body": manifest}


def delete_request(namespace: str, manifest: Manifest) -> dict[str, Any]:
    """The arguments of CoreV1Api.delete_namespaced_pod: at once, nothing in it waits for SIGTERM."""
    return {"name": manifest["metadata"]["name"], "namespace": namespace, "grace_period_seconds": 0}


def pod_facts(pod: Any) -> PodFacts:
    """What the checks need of a V1Pod."""
    container = pod.spec.containers[0]
    status = pod.status
    reason = ""
    for state in (status.container_statuses or []) if status is not None else []:
        waiting = state.state.waiting if state.state is not None else None
        if waiting is not None and waiting.reason:
            reason = f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason
    return PodFacts(
        name=pod.metadata.name,
        container=container.name,
        phase=(status.phase if status is not None else None) or "Pending",
        labels=dict(pod.metadata.labels or {}),
        annotations=dict(pod.metadata.annotations or {}),
        image=container.image or "",
        reason=reason,
    )


class ClusterPods:
    """The pods of one namespace on a cluster, through the client's CoreV1Api."""

    def __init__(self, api: Any, namespace: str) -> None:
        self._api = api
        self._namespace = namespace

    @property
    def namespace(self) -> str:
        return self._namespace

    def list_pods(self) -> list[PodFacts]:
        with _api_errors(f"listing the pods of {self._namespace}"):
            listed = self._api.list_namespaced_pod(**list_request(self._namespace))
        return [pod_facts(pod) for pod in listed.items]

    def read_pod(self, name: str) -> PodFacts | None:
        try:
            with _api_errors(f"reading pod {name} in {self._namespace}"):
                return pod_facts(self._api.read_namespaced_pod(name, self._namespace))
        except NotFound:
            return None

    def create_pod(self, manifest: Manifest) -> None:
        with _api_errors(f"creating pod {manifest['metadata']['name']} in {self._namespace}"):
            self._api.create_namespaced_pod(**create_request(self._namespace, manifest))

    def delete_pod(self, manifest: Manifest) -> None:
        try:
            with _api_errors(f"deleting pod {manifest['metadata']['name']} in {self._namespace}"):
                self._api.delete_namespaced_pod(**delete_request(self._namespace, manifest))
        except NotFound:
            pass  # gone already

    def exec(self, pod: PodFacts, argv: Sequence[str], timeout: float) -> ExecResult:
        from kubernetes.stream import stream

        started = time.monotonic()
        with _api_errors(f"exec in pod {pod.name} of {self._namespace}"):
            response = stream(
                self._api.connect_get_namespaced_pod_exec, **exec_request(self._namespace, pod, argv)
            )
            response.run_forever(timeout=timeout)
            stdout, stderr = response.read_stdout(), response.read_stderr()
            if response.is_open():
                response.close()
                raise ExecTimeout(f"no answer in {timeout:g}s", timeout=timeout, output=stdout)
            code = int(response.returncode or 0)
        return ExecResult(code, stdout, stderr, time.monotonic() - started)


@contextmanager
def _api_errors(doing: str) -> Iterator[None]:
    """The client's errors as labkit's: a status the API answered, or no answer at all."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as exc:
        if exc.status == 404:
            raise NotFound(f"{doing}: not found") from exc
        if exc.status == 409:
            raise NameConflict(f"{doing}: it exists already") from exc
        raise EngineError(f"{doing}: the cluster refused ({exc.status} {exc.reason})") from exc
    except HTTPError as exc:
        raise EngineUnavailable(f"{doing}: the cluster's API server does not answer ({exc})") from exc


def core_api(context: str | None) -> Any:
    """A CoreV1Api from the kubeconfig (KUBECONFIG, else ~/.kube/config), for `context`.

    Raises:
        EngineUnavailable: no cluster configuration.
    """
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    try:
        config.load_kube_config(context=context)  # type: ignore[no-untyped-call]
    except (ConfigException, FileNotFoundError) as exc:
        raise EngineUnavailable(
            f"no Kubernetes cluster configured ({exc}): set KUBECONFIG or use --context"
        ) from exc
    return client.CoreV1Api()


def run_checks_on_cluster(
    stack: Stack, namespace: str, *, context: str | None = None, exercise: str | None = None
) -> CheckRun:
    """Run every check of the stack's exercise in the pods of `namespace`.

    Raises:
        EngineUnavailable: no cluster configuration, or the API server does not answer.
        UsageError: no pod of the exercise runs in the namespace.
        EngineError: the cluster refused to list the pods, or a probe pod did not start.
    """
    return run_checks_in_pods(stack, ClusterPods(core_api(context), namespace), exercise=exercise)
