"""A service's mounts as pod volumes: PVCs for named volumes, emptyDir, files as ConfigMaps.

- a named volume: a PersistentVolumeClaim of that name in the namespace, shared by the pods
  that mount it (they sit on one node, see pods.py, so ReadWriteOnce serves them all);
- an anonymous volume: an emptyDir, as fresh as the engine's; a tmpfs: an emptyDir in memory;
- a read-only bind mount of a file or a folder of files: a ConfigMap holding them. A writable
  bind mount has no Kubernetes form (a ConfigMap is read-only, a hostPath is another node's
  disk) and is refused by the caller (refuse.py).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.export.kube.manifest import Manifest, metadata
from toolkit.stack.model import Service

PVC_SIZE = "1Gi"
CONFIGMAP_LIMIT = 1024 * 1024  # the API server's limit on one object


@dataclass
class PodVolumes:
    """What a pod spec needs for one service's mounts, and the objects they refer to."""

    volumes: list[Manifest] = field(default_factory=list)
    mounts: list[Manifest] = field(default_factory=list)
    config_maps: list[Manifest] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)  # named volumes (Compose keys)


def pod_volumes(service: Service, namespace: str, labels: dict[str, str]) -> PodVolumes:
    """Turn a service's mounts into pod volumes; raises UsageError for a file too large or odd."""
    found = PodVolumes()
    for index, mount in enumerate(service.volumes):
        name = f"vol-{index}"
        entry: Manifest = {"name": name, "mountPath": mount.target}
        if mount.read_only:
            entry["readOnly"] = True
        if mount.type == "volume" and mount.source:
            found.volumes.append({"name": name, "persistentVolumeClaim": {"claimName": mount.source}})
            found.claims.append(mount.source)
        elif mount.type == "volume":
            found.volumes.append({"name": name, "emptyDir": {}})
        elif mount.type == "tmpfs":
            found.volumes.append({"name": name, "emptyDir": {"medium": "Memory"}})
        else:
            config_name = f"{service.name}-{name}"
            source = Path(mount.source)
            found.config_maps.append(config_map(config_name, namespace, labels, source, service.name))
            found.volumes.append({"name": name, "configMap": {"name": config_name}})
            if source.is_file():
                entry["subPath"] = source.name  # the one file, at the target path
        found.mounts.append(entry)
    for index, tmpfs in enumerate(service.tmpfs):
        name = f"tmpfs-{index}"
        found.volumes.append({"name": name, "emptyDir": {"medium": "Memory"}})
        found.mounts.append({"name": name, "mountPath": tmpfs.split(":")[0]})
    return found


def config_map(name: str, namespace: str, labels: dict[str, str], source: Path, service: str) -> Manifest:
    """A ConfigMap with the file at `source`, or the files of the folder at `source`."""
    files = [source] if source.is_file() else sorted(p for p in source.iterdir())
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for path in files:
        if not path.is_file():
            raise UsageError(
                f"service {service!r}: bind mount {source} holds {path.name}, which is not a file; "
                "a ConfigMap holds a flat folder of files only: mount the files one by one"
            )
        content = path.read_bytes()
        try:
            data[path.name] = content.decode("utf-8")
        except UnicodeDecodeError:
            binary[path.name] = base64.b64encode(content).decode("ascii")
    if sum(len(v) for v in (*data.values(), *binary.values())) > CONFIGMAP_LIMIT:
        raise UsageError(
            f"service {service!r}: bind mount {source} is over 1 MiB, more than a ConfigMap holds: "
            "put the files into the image instead"
        )
    manifest: Manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(name, namespace, labels),
    }
    if data:
        manifest["data"] = data
    if binary:
        manifest["binaryData"] = binary
    return manifest


def claim(name: str, namespace: str, labels: dict[str, str]) -> Manifest:
    """The PersistentVolumeClaim of one named volume."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": metadata(name, namespace, labels),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": PVC_SIZE}}},
    }
