"""Each lab network as a Multus NetworkAttachmentDefinition: a CNI `bridge` with `static` IPAM.

One bridge per network and namespace on the node (`layout.bridge_name`), no gateway address on
it and no masquerade: a lab network reaches nothing but its own pods, as an isolated engine
bridge does. The static plugin takes each pod's address from the `ips` of its entry in the
pod's `k8s.v1.cni.cncf.io/networks` annotation, which Multus passes on as runtime configuration
because the config declares the `ips` capability.
"""

from __future__ import annotations

import json

from toolkit.export.kube.layout import Attachment, bridge_name
from toolkit.export.kube.manifest import Manifest, metadata

CNI_VERSION = "0.4.0"  # spoken by Multus, OpenShift and the plugins of Debian 12 alike
NAD_API = "k8s.cni.cncf.io/v1"
NETWORKS_ANNOTATION = "k8s.v1.cni.cncf.io/networks"


def cni_config(namespace: str, network: str) -> dict[str, object]:
    """The CNI configuration list of one lab network in one namespace."""
    bridge = {
        "type": "bridge",
        "bridge": bridge_name(namespace, network),
        "isGateway": False,
        "ipMasq": False,
        "ipam": {"type": "static"},
        "capabilities": {"ips": True},
    }
    # Where br_netfilter is loaded and FORWARD drops by default (Docker does both, and so do
    # many nodes), frames between two pods on one bridge are dropped; the firewall plugin
    # accepts each pod's own traffic, measured necessary on such a host.
    return {"cniVersion": CNI_VERSION, "name": network, "plugins": [bridge, {"type": "firewall"}]}


def network_attachment(namespace: str, network: str, labels: dict[str, str]) -> Manifest:
    """The NetworkAttachmentDefinition of one lab network."""
    return {
        "apiVersion": NAD_API,
        "kind": "NetworkAttachmentDefinition",
        "metadata": metadata(network, namespace, labels),
        "spec": {"config": json.dumps(cni_config(namespace, network), sort_keys=True)},
    }


def networks_annotation(attachments: tuple[Attachment, ...]) -> str:
    """A pod's network selection: each lab network with its interface name and address."""
    return json.dumps(
        [{"name": a.network, "interface": a.interface, "ips": [a.cidr]} for a in attachments],
    )
