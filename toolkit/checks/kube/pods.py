"""An exercise's checks in the pods of a namespace, by the rules checks follow on an engine.

The order, the prerequisites, the concurrency and the judging are `checks/schedule.py`'s, the
same code the engine's runner uses; what differs is only where a command runs. A service's
pod is found by labkit's labels (the export puts them on every pod); a check runs in it as
`kubectl exec` runs a command, as the container's own user: a check that asks for another
(`user: root`) runs under `sudo -n -u USER`, which the course images allow the student without
a password. A probe check runs in labkit's probe pod on its network (`probe_pod.py`), made the
first time a check needs it and reused after, by this run and later ones.

`Pods` is how a namespace's pods are reached: a cluster's API (`cluster.py`), or Podman
playing the export on this host (`played.py`), which is how the cluster path is proven here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Protocol

from toolkit.checks.kube.probe_pod import probe_pod
from toolkit.checks.probe import LABEL_PROBE, PROBE_USER, probe_image
from toolkit.checks.results import CheckResult, CheckRun, not_run
from toolkit.checks.schedule import MAX_PARALLEL, CheckCallback, run_judged, schedule
from toolkit.errors import EngineError, NameConflict, UsageError
from toolkit.export.kube.manifest import Manifest
from toolkit.export.kube.networks import NETWORKS_ANNOTATION
from toolkit.export.kube.pods import qualified_image
from toolkit.runtime.specs import ExecResult
from toolkit.stack import naming
from toolkit.stack.health import GaveUp, NotReady, Pace, WaitTimedOut, poll
from toolkit.stack.model import Check, Stack
from toolkit.stack.renumber import apply_renumbering, recover_mapping

# A probe pod's image may have to be pulled by the node first.
PROBE_START_TIMEOUT = 180.0
_ENDED = ("Succeeded", "Failed")


@dataclass(frozen=True)
class PodFacts:
    """One pod of the namespace, as the checks need it."""

    name: str
    container: str  # what an exec addresses: the container's name in the pod, or its id (Podman)
    phase: str  # Kubernetes' pod phase: Pending, Running, Succeeded, Failed
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    image: str = ""
    reason: str = ""  # why it does not run yet (ImagePullBackOff ...), when known

    @property
    def service(self) -> str | None:
        return self.labels.get(naming.LABEL_SERVICE)

    @property
    def probe(self) -> str | None:
        """The network this pod is labkit's probe on, if it is one."""
        return self.labels.get(LABEL_PROBE)

    @property
    def running(self) -> bool:
        return self.phase == "Running"


class Pods(Protocol):
    """The pods of one namespace, as the checks reach them."""

    @property
    def namespace(self) -> str: ...

    def list_pods(self) -> list[PodFacts]:
        """labkit's pods of the namespace (those with a project label), in any phase."""

    def read_pod(self, name: str) -> PodFacts | None:
        """One pod by name; None when there is none."""

    def create_pod(self, manifest: Manifest) -> None:
        """Create a pod; NameConflict when one of that name exists."""

    def delete_pod(self, manifest: Manifest) -> None:
        """Delete the pod `manifest` describes, if it exists."""

    def exec(self, pod: PodFacts, argv: Sequence[str], timeout: float) -> ExecResult:
        """Run a command in the pod's container as its own user; ExecTimeout past `timeout`."""


def exec_argv(check: Check, *, runs_as: str | None = None) -> list[str]:
    """The command to exec for a check: its argv, under sudo when it names a user other than
    the one the pod runs as (`runs_as`, when known)."""
    if check.user and check.user != runs_as:
        return ["sudo", "-n", "-u", check.user, "--", *check.run]
    return list(check.run)


def service_pods(pods: Iterable[PodFacts]) -> dict[str, PodFacts]:
    """Each service's running pod, by labkit's service label."""
    return {pod.service: pod for pod in pods if pod.service is not None and pod.running}


def stack_as_exported(stack: Stack, pods: Iterable[PodFacts]) -> Stack:
    """The stack with the subnets its pods have (an export of a renumbered project)."""
    current: dict[str, IPv4Network] = {}
    for pod in pods:
        for entry in json.loads(pod.annotations.get(NETWORKS_ANNOTATION, "[]")):
            if entry.get("name") in stack.networks and entry.get("ips"):
                current[entry["name"]] = IPv4Network(entry["ips"][0], strict=False)
    return apply_renumbering(stack, recover_mapping(stack, current))


def registry_of(stack: Stack, pods: Iterable[PodFacts]) -> str | None:
    """The registry the export put the images under, read from a service's pod (None: none)."""
    for pod in pods:
        service = stack.services.get(pod.service or "")
        image = service.image if service is not None else None
        if image and pod.image != image and pod.image.endswith("/" + image):
            return pod.image[: -len(image) - 1]
    return None


class PodTarget:
    """A namespace's pods, where the schedule runs checks; probe pods made as needed."""

    def __init__(
        self, pods: Pods, stack: Stack, listed: Sequence[PodFacts], *, pace: Pace | None = None
    ) -> None:
        self._pods = pods
        self._stack = stack
        self._listed = list(listed)
        self._services = service_pods(listed)
        self._probes: dict[str, PodFacts] = {}
        self._pace = pace or Pace()

    def prepare(self, checks: Sequence[Check]) -> None:
        """Make (or find) the probe pod of each network a check about to run probes from."""
        wanted = {check.probe for check in checks if check.probe is not None} - set(self._probes)
        for network in sorted(wanted):
            self._probes[network] = self._probe(network)

    def run(self, check: Check) -> CheckResult:
        """Run one check in its service's pod (or its probe) and judge the result."""
        namespace = self._pods.namespace
        if check.probe is not None:
            target = self._probes.get(check.probe)
            argv = exec_argv(check, runs_as=PROBE_USER)  # the probe pod runs as root
        else:
            target = self._services.get(check.service)
            argv = exec_argv(check)
        if target is None:
            return not_run(check, f"service {check.service!r} has no running pod in {namespace}")
        pod = target
        return run_judged(check, lambda: self._pods.exec(pod, argv, check.timeout))

    def _probe(self, network: str) -> PodFacts:
        """The running probe pod on `network`: found, or made and waited for."""
        image = image_for_probe(self._stack, network, self._listed)
        manifest = probe_pod(self._stack, self._pods.namespace, network, image)
        found = [pod for pod in self._listed if pod.probe == network]
        if found and found[0].phase in _ENDED:  # it ended: make a fresh one
            self._pods.delete_pod(manifest)
            self._wait(manifest, gone=True)
            found = []
        if not found:
            try:
                self._pods.create_pod(manifest)
            except NameConflict:
                pass  # another check run of this namespace made it just now
        return self._wait(manifest)

    def _wait(self, manifest: Manifest, *, gone: bool = False) -> PodFacts:
        name = manifest["metadata"]["name"]
        namespace = self._pods.namespace

        def state() -> PodFacts:
            pod = self._pods.read_pod(name)
            if gone:
                if pod is not None:
                    raise NotReady(f"{name} is still being deleted")
                return PodFacts(name, "", "Gone")
            if pod is None:
                raise GaveUp(f"probe pod {name} vanished")
            if pod.running:
                return pod
            if pod.phase in _ENDED:
                raise GaveUp(f"probe pod {name} ended ({pod.phase})", pod.reason)
            raise NotReady(pod.reason or pod.phase)

        try:
            return poll(
                state,
                deadline=self._pace.clock() + PROBE_START_TIMEOUT,
                max_delay=lambda: 1.0,
                pace=self._pace,
            )
        except GaveUp as exc:
            raise EngineError(f"{exc} in {namespace}: {exc.output}".rstrip(": ")) from None
        except WaitTimedOut as exc:
            verb = "go" if gone else "run"
            raise EngineError(
                f"probe pod {name} in {namespace} did not {verb} within "
                f"{PROBE_START_TIMEOUT:g}s: {exc.output or 'no reason given'}"
            ) from None


def image_for_probe(stack: Stack, network: str, pods: Iterable[PodFacts]) -> str:
    """The probe's image as the cluster pulls it: under the registry the services' pods use."""
    return qualified_image(probe_image(stack, network), registry_of(stack, pods))


def run_checks_in_pods(
    stack: Stack,
    pods: Pods,
    *,
    exercise: str | None = None,
    checks: Sequence[Check] | None = None,
    on_result: CheckCallback | None = None,
    max_parallel: int = MAX_PARALLEL,
    pace: Pace | None = None,
) -> CheckRun:
    """Run every check of the stack's exercise (or `checks`) in the pods `pods` reaches.

    Raises:
        UsageError: no pod of the exercise runs in the namespace.
        EngineError: a probe pod did not start.
    """
    listed = pods.list_pods()
    if not service_pods(listed):
        raise UsageError(
            f"no running pod of {stack.name} in namespace {pods.namespace}: apply the export first "
            f"(labkit export kube {stack.name} -o DIR; kubectl apply -f DIR)"
        )
    exported = stack_as_exported(stack, listed)
    selected = tuple(exported.exercise.checks if checks is None else checks)
    started = time.monotonic()
    target = PodTarget(pods, exported, listed, pace=pace)
    results = schedule(target, selected, on_result=on_result, max_parallel=max_parallel)
    return CheckRun(exercise or stack.name, pods.namespace, results, time.monotonic() - started)
