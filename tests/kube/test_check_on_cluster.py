"""`labkit check --kube` against a real cluster, when KUBECONFIG points at one (none here).

The cluster needs Multus and the CNI bridge, static and firewall plugins on its nodes, and the
course images where it can pull them (`labkit images push`, `export kube --registry`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from toolkit.checks.kube import run_checks_on_cluster
from toolkit.export.kube import export_stack, write_export
from toolkit.stack.compose.loader import load_stack

COURSE = Path(__file__).resolve().parents[2] / "compose"


@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="KUBECONFIG does not point at a cluster")
def test_routing_checks_fail_before_the_solution_on_a_cluster(tmp_path: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("no kubectl to apply the export with")
    namespace = f"lkcheck-{os.getpid()}"
    stack = replace(load_stack(COURSE / "routing" / "compose.yaml", environ={}), name=namespace)
    registry = os.environ.get("LABKIT_KUBE_REGISTRY")
    write_export(export_stack(stack, registry=registry), tmp_path)
    try:
        subprocess.run(["kubectl", "apply", "-f", str(tmp_path)], check=True)
        subprocess.run(
            ["kubectl", "wait", "-n", namespace, "--for=condition=Ready", "pod", "--all", "--timeout=300s"],
            check=True,
        )
        run = run_checks_on_cluster(stack, namespace)
        graded = {c.name for c in stack.exercise.checks if c.graded}
        assert all(not r.passed for r in run.results if r.name in graded)
        assert any(r.passed for r in run.results if r.name not in graded)
    finally:
        subprocess.run(["kubectl", "delete", "namespace", namespace, "--wait=false"], check=False)
