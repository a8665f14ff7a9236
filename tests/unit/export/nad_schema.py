"""The shape of a NetworkAttachmentDefinition, which kubernetes-validate has no schema for.

NetworkAttachmentDefinition is a custom resource (k8s.cni.cncf.io/v1, the Network Plumbing
Working Group's spec); its CRD declares `spec.config` a string holding a CNI configuration as
JSON. This schema is that CRD's, closed like kubernetes-validate's strict mode, with the CNI
configuration's own fields for the bridge plugin and static IPAM, so a typo fails here too.
"""

from __future__ import annotations

from typing import Any

_LABELS = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}}
_DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"

NAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "k8s.cni.cncf.io/v1"},
        "kind": {"const": "NetworkAttachmentDefinition"},
        "metadata": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "namespace"],
            "properties": {
                "name": {"type": "string", "pattern": _DNS_LABEL},
                "namespace": {"type": "string", "pattern": _DNS_LABEL},
                "labels": _LABELS,
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["config"],
            "properties": {"config": {"type": "string"}},
        },
    },
}

_BRIDGE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "bridge", "ipam"],
    "properties": {
        "type": {"const": "bridge"},
        "bridge": {"type": "string", "maxLength": 15, "pattern": "^[A-Za-z0-9_.-]+$"},
        "isGateway": {"type": "boolean"},
        "ipMasq": {"type": "boolean"},
        "capabilities": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"ips": {"type": "boolean"}},
        },
        "ipam": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {"type": {"const": "static"}},
        },
    },
}

# A CNI configuration list (the spec's "network configuration list"): bridge, then firewall.
BRIDGE_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["cniVersion", "name", "plugins"],
    "properties": {
        "cniVersion": {"enum": ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]},
        "name": {"type": "string", "pattern": _DNS_LABEL},
        "plugins": {
            "type": "array",
            "prefixItems": [
                _BRIDGE,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"type": {"const": "firewall"}},
                },
            ],
            "items": False,
        },
    },
}

# One entry of a pod's k8s.v1.cni.cncf.io/networks annotation (the NPWG spec's selection).
SELECTION_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "interface", "ips"],
        "properties": {
            "name": {"type": "string", "pattern": _DNS_LABEL},
            "namespace": {"type": "string", "pattern": _DNS_LABEL},
            "interface": {"type": "string", "maxLength": 15, "pattern": "^[A-Za-z0-9_.-]+$"},
            "ips": {
                "type": "array",
                "items": {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$"},
                "minItems": 1,
            },
        },
    },
}
