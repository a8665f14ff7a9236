"""An exercise as plain Kubernetes manifests that keep what makes it a lab.

export.py       export_stack / write_export: the one entry point, files in apply order
refuse.py       features with no Kubernetes form, refused by name
layout.py       interfaces, static addresses and bridge names of every pod
networks.py     Multus NetworkAttachmentDefinitions (CNI bridge + static IPAM)
pods.py         a service as a Pod or a Job
volumes.py      named volumes as PVCs, files as ConfigMaps, emptyDirs
ordering.py     depends_on as init containers that wait on the API
image_facts.py  what course images' Containerfiles say (user, healthcheck)
manifest.py     metadata and labels shared by every object
"""

from toolkit.export.kube.export import KubeExport, export_stack, write_export

__all__ = ["KubeExport", "export_stack", "write_export"]
