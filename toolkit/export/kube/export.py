"""`labkit export kube`: one project of an exercise as plain Kubernetes manifests, in files.

    00-namespace.yaml     the project's Namespace, labelled as labkit labels its resources
    10-access.yaml        the ServiceAccount, Role and RoleBinding of the start-order waits
    20-networks.yaml      a NetworkAttachmentDefinition per lab network
    30-storage.yaml       ConfigMaps (bind-mounted files) and PersistentVolumeClaims
    40-<service>.yaml     one Pod (or Job) per service

`kubectl apply -f DIR` creates them in that order. The project names the namespace; a future
per-student export (a student id turned into a project) only has to choose that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from toolkit.export.kube.image_facts import CourseImages
from toolkit.export.kube.layout import plan_attachments
from toolkit.export.kube.manifest import Manifest, metadata, project_labels, service_labels
from toolkit.export.kube.networks import network_attachment
from toolkit.export.kube.ordering import KUBECTL_IMAGE, one_shot_services, waiter_rbac
from toolkit.export.kube.pods import PodContext, job, pod
from toolkit.export.kube.refuse import refuse_unexpressible
from toolkit.export.kube.volumes import claim, pod_volumes
from toolkit.stack.model import Stack
from toolkit.stack.service_images import course_images_dir


@dataclass(frozen=True)
class KubeExport:
    """The manifests of one project, by the file they go to, in apply order."""

    namespace: str
    files: dict[str, list[Manifest]]

    @property
    def objects(self) -> list[Manifest]:
        return [manifest for manifests in self.files.values() for manifest in manifests]


def export_stack(
    stack: Stack,
    *,
    registry: str | None = None,
    kubectl_image: str = KUBECTL_IMAGE,
) -> KubeExport:
    """Turn a loaded stack (its name is the project's) into manifests.

    Raises:
        UsageError: a feature of the file has no Kubernetes form, a network has no subnet.
    """
    namespace = stack.name
    refuse_unexpressible(stack, namespace)
    labels = project_labels(namespace, stack.folder.name)
    ctx = PodContext(
        stack=stack,
        namespace=namespace,
        attachments=plan_attachments(stack),
        images=CourseImages(course_images_dir(stack)),
        registry=registry,
        kubectl_image=kubectl_image,
    )
    files: dict[str, list[Manifest]] = {
        "00-namespace.yaml": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(namespace, None, labels)}
        ]
    }
    if any(service.depends_on for service in stack.services.values()):
        files["10-access.yaml"] = waiter_rbac(namespace, labels)
    attached = {a.network for attachments in ctx.attachments.values() for a in attachments}
    used = [key for key in stack.networks if key in attached]
    if used:
        files["20-networks.yaml"] = [network_attachment(namespace, key, labels) for key in used]
    storage: list[Manifest] = []
    claims: list[str] = []
    one_shots = one_shot_services(stack)
    for name, service in stack.services.items():
        own = service_labels(namespace, stack.folder.name, name)
        volumes = pod_volumes(service, namespace, own)
        storage += volumes.config_maps
        claims += [c for c in volumes.claims if c not in claims]
        build = job if name in one_shots else pod
        files[f"40-{name}.yaml"] = [build(ctx, service, own, volumes)]
    storage += [claim(key, namespace, labels) for key in claims]
    if storage:
        files["30-storage.yaml"] = storage
    return KubeExport(namespace, dict(sorted(files.items())))


def write_export(export: KubeExport, folder: Path) -> list[Path]:
    """Write each file of the export into `folder` (created if needed); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, manifests in export.files.items():
        path = folder / name
        path.write_text(yaml.safe_dump_all(manifests, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written
