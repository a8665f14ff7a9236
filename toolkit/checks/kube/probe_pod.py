"""The probe on a cluster: a Pod labkit owns, attached to one lab network through Multus.

The same probe as on an engine (`checks/probe.py`): the exercise's `probe_image` (else the
image of a service on the network), under the registry the export used; the highest free
address of the subnet; `sleep` as its only process. It joins the network through the
NetworkAttachmentDefinition the export wrote (named after the network), with the interface
name a service's pod gets there, and sits on the node of the project's other pods, since a lab
bridge is a node's. It carries the project's labels and `io.labkit.probe`, not a service's, so
the checks' service look-up never takes it for a student's host and deleting the namespace
removes it with the project.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from toolkit.checks.probe import LABEL_PROBE, probe_address
from toolkit.errors import UsageError
from toolkit.export.kube.layout import Attachment, interface_name, network_subnet, plan_attachments
from toolkit.export.kube.manifest import Manifest, metadata, project_labels
from toolkit.export.kube.networks import NETWORKS_ANNOTATION, networks_annotation
from toolkit.export.kube.pods import same_node
from toolkit.stack.model import Stack

PROBE_CONTAINER = "probe"
PROBE_UID = 0  # labkit's own container: its checks run as root, as on an engine


def probe_pod_name(network: str) -> str:
    """The probe pod's name in the project's namespace."""
    return f"probe-{network}"


def probe_pod(stack: Stack, namespace: str, network: str, image: str) -> Manifest:
    """The Pod of the probe on `network` of `stack` (as exported: its subnets are the pods').

    Raises:
        UsageError: the network has no subnet, or no address is left in it for the probe.
    """
    subnet = network_subnet(stack, network)
    address = probe_address(stack, network)
    if address is None:
        raise UsageError(
            f"{stack.file}: network {network!r} ({subnet}) has no address left for labkit's probe: "
            "give the network a larger subnet"
        )
    attachment = Attachment(network, interface_name(network), IPv4Address(address), subnet)
    labels = {**project_labels(namespace, stack.folder.name), LABEL_PROBE: network}
    annotations = {NETWORKS_ANNOTATION: networks_annotation((attachment,))}
    spec: Manifest = {
        "hostname": "probe",
        "restartPolicy": "Always",
        "affinity": same_node(namespace),
        "automountServiceAccountToken": False,
        # Its only process is `sleep`, which ignores SIGTERM: nothing to wait for on delete.
        "terminationGracePeriodSeconds": 0,
        "containers": [
            {
                "name": PROBE_CONTAINER,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sleep", "infinity"],
                # ping from the probe, also where the runtime's defaults lack NET_RAW (CRI-O).
                "securityContext": {"runAsUser": PROBE_UID, "capabilities": {"add": ["NET_RAW"]}},
            }
        ],
    }
    aliases = peer_aliases(stack, network)
    if aliases:
        spec["hostAliases"] = aliases
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata(probe_pod_name(network), namespace, labels, annotations),
        "spec": spec,
    }


def peer_aliases(stack: Stack, network: str) -> list[Manifest]:
    """The names of the services on `network` with their addresses there, as the engine's DNS
    answers them to a probe container on that network."""
    found: list[Manifest] = []
    for name, attachments in plan_attachments(stack).items():
        service = stack.services[name]
        for attachment in attachments:
            if attachment.network != network:
                continue
            declared = next(a for a in service.networks if a.network == network)
            names = [name, *([service.hostname] if service.hostname else []), *declared.aliases]
            found.append({"ip": str(attachment.address), "hostnames": list(dict.fromkeys(names))})
    return found
