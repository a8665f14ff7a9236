"""Output of the export commands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from toolkit.cli.render import console
from toolkit.export.kube import KubeExport


def kube_export(export: KubeExport, written: list[Path]) -> None:
    """What was written where, and the command that applies it."""
    kinds = Counter(str(manifest["kind"]) for manifest in export.objects)
    summary = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    folder = written[0].parent if written else Path(".")
    console.print(f"namespace {export.namespace}: {summary}")
    console.print(f"wrote {len(written)} files to {folder}")
    console.print(f"apply with: kubectl apply -f {folder}")
