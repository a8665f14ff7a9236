"""Output of the export commands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from toolkit.cli.render import console
from toolkit.export.kube import KubeExport


def kube_export(export: KubeExport, written: list[Path]) -> None:
    """What was written where, one line per kind of object, and the command that applies it."""
    folder = written[0].parent if written else Path(".")
    console.print(f"namespace {export.namespace}: {len(written)} files in {folder}", markup=False)
    for kind, count in Counter(str(manifest["kind"]) for manifest in export.objects).items():
        console.print(f"  {count:>2} {kind}", markup=False)
    console.print(f"apply with: kubectl apply -f {folder}", markup=False)
