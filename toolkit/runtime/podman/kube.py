"""`podman kube play` and `podman kube down` through the libpod API (Podman only: Docker has none).

Podman 4.3 cannot read a pod's networks from YAML (podman #12965): each network comes as a
`network` parameter, `NAME:ip=ADDRESS,interface_name=IFACE`, the CLI's --network syntax. It
also ignores the pod's `securityContext.sysctls` (measured: net.ipv4.ip_unprivileged_port_start
stays 1024), so with sysctls the pod is created stopped, its infra container started, the
sysctls written inside the pod's network namespace from the host, and then the pod started:
every container sees them from its first instruction, as on Kubernetes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.errors import EngineError
from toolkit.runtime.podman.errors import body, check, engine_errors

_YAML = {"Content-Type": "application/x-yaml"}


def play_kube(api: Any, document: str, networks: Sequence[str], sysctls: Mapping[str, str]) -> list[str]:
    """Create and start the pods of a Kubernetes YAML document; return the pods' ids."""
    params: dict[str, Any] = {"network": list(networks), "start": not sysctls}
    with engine_errors("podman kube play"):
        report = body(api.post("/play/kube", params=params, data=document.encode(), headers=_YAML))
    pods = [str(pod.get("ID", "")) for pod in report.get("Pods") or []]
    if sysctls:
        for pod in pods:
            _start_with_sysctls(api, pod, sysctls)
    return pods


def _start_with_sysctls(api: Any, pod: str, sysctls: Mapping[str, str]) -> None:
    with engine_errors(f"pod {pod}"):
        infra = body(api.get(f"/pods/{pod}/json"))["InfraContainerID"]
        check(api.post(f"/containers/{infra}/start"))
        pid = body(api.get(f"/containers/{infra}/json"))["State"]["Pid"]
    for name, value in sysctls.items():
        path = "/proc/sys/" + name.replace(".", "/")
        done = subprocess.run(
            [
                "nsenter",
                f"--net=/proc/{pid}/ns/net",
                "--",
                "sh",
                "-c",
                'printf %s "$2" > "$1"',
                "sh",
                path,
                value,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise EngineError(f"pod {pod}: could not set {name}={value}: {done.stderr.strip()}")
    with engine_errors(f"pod {pod}"):
        check(api.post(f"/pods/{pod}/start"))


def down_kube(api: Any, document: str) -> None:
    """Stop and remove the pods (and their containers) a document describes."""
    with engine_errors("podman kube down"):
        check(api.delete("/play/kube", data=document.encode(), headers=_YAML))
