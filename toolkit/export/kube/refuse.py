"""What an exercise may ask of an engine that has no Kubernetes form: refused by name, in one line.

An export never drops a feature silently: the first service or network that uses one of these
stops the export (exit 2) with the service, the key and why.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.stack.model import Service, Stack

# RFC 1123 labels: names of pods, namespaces, host names, NetworkAttachmentDefinitions.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

# (key, test, why): why no Kubernetes form, and what to do instead.
_SERVICE_RULES: tuple[tuple[str, str], ...] = (
    ("privileged", "host-level access is not exported: a pod on a shared cluster node must not hold it"),
    ("network_mode", "a pod has its own network namespace: attach the service to lab networks instead"),
    ("pid", "host or shared PID namespaces are not exported"),
    ("ipc", "host or shared IPC namespaces are not exported"),
    ("devices", "host devices are a node's, not the cluster's"),
    ("ulimits", "Kubernetes sets no per-pod ulimits (they are the node's)"),
    ("pids_limit", "Kubernetes sets the PID limit per node, not per pod"),
    ("domainname", "a pod's domain is the cluster's DNS: set a hostname only"),
    ("profiles", "every exported service runs: drop the profile or export a file without it"),
)


def refuse_unexpressible(stack: Stack, namespace: str) -> None:
    """Raise UsageError naming the first feature of `stack` that has no Kubernetes form."""
    if not _DNS_LABEL.match(namespace):
        raise UsageError(
            f"project {namespace!r} cannot name a Kubernetes namespace: use lowercase letters, "
            "digits and '-' (no '_'), at most 63 characters (e.g. -p alice)"
        )
    for key, network in stack.networks.items():
        if not _DNS_LABEL.match(key):
            _fail(stack.file, f"network {key!r}", "its name is not a Kubernetes object name: rename it")
        if network.driver != "bridge":
            _fail(
                stack.file,
                f"network {key!r}",
                f"driver {network.driver!r}: only bridge networks are exported",
            )
    for service in stack.services.values():
        _refuse_service(stack.file, service)


def _refuse_service(file: Path, service: Service) -> None:
    where = f"service {service.name!r}"
    if not _DNS_LABEL.match(service.name):
        _fail(file, where, "its name is not a Kubernetes pod name: rename it (lowercase, digits, '-')")
    if service.hostname and not _DNS_LABEL.match(service.hostname):
        _fail(file, f"{where} hostname {service.hostname!r}", "a pod's hostname is one DNS label")
    for key, why in _SERVICE_RULES:
        if getattr(service, key):
            _fail(file, f"{where} uses {key}", why)
    if not service.image:
        _fail(file, f"{where} uses build", "a cluster pulls images: give it an image: and push it")
    if any(port.published for port in service.ports):
        _fail(
            file, f"{where} publishes a port", "host ports collide on a shared node: use kubectl port-forward"
        )
    for mount in service.volumes:
        if mount.type == "bind" and not mount.read_only:
            _fail(
                file,
                f"{where} bind-mounts {mount.source} writable",
                "it becomes a ConfigMap, which is read-only: add :ro, or use a named volume",
            )
        if mount.type == "bind" and not Path(mount.source).exists():
            _fail(
                file, f"{where} bind-mounts {mount.source}", "it does not exist, so no ConfigMap can hold it"
            )
    if service.user and not _known_user(service.user):
        _fail(file, f"{where} user {service.user!r}", "Kubernetes needs a uid: write it as a number")


def _known_user(user: str) -> bool:
    name = user.split(":")[0]
    return name.isdigit() or name in ("root", "student")


def _fail(file: Path, what: str, why: str) -> None:
    raise UsageError(f"{file}: {what}, which has no Kubernetes form: {why}")
