"""Start order from `depends_on`: init containers that wait on the API for each dependency.

Kubernetes starts every pod at once; Compose's `depends_on` becomes, in the dependent pod, one
init container per wait, running `kubectl wait` under a ServiceAccount that may only read the
namespace's pods and jobs:

    service_healthy                  the dependency's pod exists, then is Ready (its readiness
                                     probe, from the healthcheck, passes)
    service_started                  the dependency's pod exists, then is Running
    service_completed_successfully   the dependency is a Job (a one-shot service): it exists,
                                     then is complete

`--for=create` needs kubectl 1.31, hence the pinned image (`--kubectl-image` to use a copy in
the lab's own registry).
"""

from __future__ import annotations

from toolkit.export.kube.manifest import Manifest, metadata
from toolkit.stack.model import Dependency, Stack

KUBECTL_IMAGE = "registry.k8s.io/kubectl:v1.31.0"
WAITER_ACCOUNT = "labkit-waiter"
WAIT_TIMEOUT = "600s"


def one_shot_services(stack: Stack) -> set[str]:
    """Services another one waits to complete: these run as Jobs."""
    return {
        dependency.service
        for service in stack.services.values()
        for dependency in service.depends_on
        if dependency.condition == "service_completed_successfully"
    }


def wait_containers(dependencies: tuple[Dependency, ...], image: str) -> list[Manifest]:
    """The init containers that hold a pod back until its dependencies are as required."""
    containers: list[Manifest] = []
    for dependency in dependencies:
        kind = "job" if dependency.condition == "service_completed_successfully" else "pod"
        target = f"{kind}/{dependency.service}"
        if dependency.condition == "service_healthy":
            condition = "--for=condition=Ready"
        elif dependency.condition == "service_started":
            condition = "--for=jsonpath={.status.phase}=Running"
        else:
            condition = "--for=condition=Complete"
        for suffix, wait_for in (("-created", "--for=create"), ("", condition)):
            containers.append(
                {
                    "name": f"wait-{dependency.service}{suffix}",
                    "image": image,
                    "command": ["kubectl", "wait", wait_for, target, f"--timeout={WAIT_TIMEOUT}"],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "runAsNonRoot": True,
                        "runAsUser": 65532,
                    },
                }
            )
    return containers


def waiter_rbac(namespace: str, labels: dict[str, str]) -> list[Manifest]:
    """The ServiceAccount the waits run under, and a Role that may only read pods and jobs."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(WAITER_ACCOUNT, namespace, labels),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": metadata(WAITER_ACCOUNT, namespace, labels),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": WAITER_ACCOUNT},
        "subjects": [{"kind": "ServiceAccount", "name": WAITER_ACCOUNT, "namespace": namespace}],
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(WAITER_ACCOUNT, namespace, labels),
    }
    return [account, role, binding]
