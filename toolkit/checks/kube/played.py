"""The pods of an export played on Podman (`export/kube/play.py`), reached as a cluster's are.

No cluster is reachable from a course host, yet the checks' cluster path must be proven: here
it runs unchanged against `podman kube play`'s pods. A pod is its one container (the pods'
labels are on it), an exec runs as the container's own user as the API's exec does (so checks
asking for a user go through sudo, as on a cluster), and a probe pod is the very manifest a
cluster would get, played with its Multus annotation turned into Podman's network flags, and
recorded in the play so that `unplay` takes it down with the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from toolkit.checks.kube.pods import PodFacts
from toolkit.checks.kube.probe_pod import probe_pod_name
from toolkit.checks.probe import LABEL_PROBE
from toolkit.errors import NameConflict
from toolkit.export.kube.manifest import Manifest
from toolkit.export.kube.play import Played, play_pod, unplay_pod
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerState, ExecResult
from toolkit.stack import naming

_PHASES = {
    ContainerState.RUNNING: "Running",
    ContainerState.CREATED: "Pending",
    ContainerState.PAUSED: "Pending",
    ContainerState.RESTARTING: "Pending",
}


class PlayedPods:
    """A played export's pods: the `Pods` of `checks/kube/pods.py` on Podman."""

    def __init__(self, runtime: Runtime, played: Played) -> None:
        self._runtime = runtime
        self._played = played

    @property
    def namespace(self) -> str:
        return self._played.namespace

    def list_pods(self) -> list[PodFacts]:
        listed = self._runtime.list_containers(
            naming.project_selector(self.namespace), all=True, health=False
        )
        return [self._facts(info) for info in listed if _pod_name(info) is not None]

    def read_pod(self, name: str) -> PodFacts | None:
        return next((pod for pod in self.list_pods() if pod.name == name), None)

    def create_pod(self, manifest: Manifest) -> None:
        if self.read_pod(manifest["metadata"]["name"]) is not None:
            raise NameConflict(f"pod {manifest['metadata']['name']} exists in {self.namespace}")
        play_pod(self._runtime, self._played, manifest)

    def delete_pod(self, manifest: Manifest) -> None:
        unplay_pod(self._runtime, self._played, manifest["metadata"]["name"])

    def exec(self, pod: PodFacts, argv: Sequence[str], timeout: float) -> ExecResult:
        return self._runtime.exec(pod.container, argv, timeout=timeout)

    def _facts(self, info: ContainerInfo) -> PodFacts:
        name = _pod_name(info) or ""
        phase = _PHASES.get(info.state, "Succeeded" if info.exit_code == 0 else "Failed")
        annotations = self._played.annotations.get(name, {})
        return PodFacts(name, info.id, phase, dict(info.labels), annotations, info.image)


def _pod_name(info: ContainerInfo) -> str | None:
    """The pod's name in the export: its service's, or the probe's (`probe_pod_name`)."""
    if naming.LABEL_SERVICE in info.labels:
        return info.labels[naming.LABEL_SERVICE]
    if LABEL_PROBE in info.labels:
        return probe_pod_name(info.labels[LABEL_PROBE])
    return None
