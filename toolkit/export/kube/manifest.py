"""The shape every exported object shares: plain mappings at the output edge, and their metadata.

Manifests are built from the typed model and go straight to YAML; nothing reads them back but
the validators and Podman, so a plain mapping is their honest type.
"""

from __future__ import annotations

from typing import Any

from toolkit.stack import naming

Manifest = dict[str, Any]


def metadata(
    name: str,
    namespace: str | None,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> dict[str, object]:
    """An object's metadata: name, namespace (None for cluster-wide objects), labels."""
    found: dict[str, object] = {"name": name}
    if namespace is not None:
        found["namespace"] = namespace
    found["labels"] = dict(labels)
    if annotations:
        found["annotations"] = dict(annotations)
    return found


def project_labels(project: str, exercise: str) -> dict[str, str]:
    """The labels every exported object carries: labkit's, as on an engine's resources."""
    return {naming.LABEL_PROJECT: project, naming.LABEL_EXERCISE: exercise}


def service_labels(project: str, exercise: str, service: str) -> dict[str, str]:
    return {**project_labels(project, exercise), naming.LABEL_SERVICE: service}
