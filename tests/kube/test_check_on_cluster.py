"""`labkit check --kube` against a real cluster, when KUBECONFIG points at one (none here).

The cluster needs Multus and the CNI bridge, static and firewall plugins on its nodes, and the
course images where it can pull them (`labkit images push`, `export kube --registry`, and
LABKIT_KUBE_REGISTRY naming that registry here). Each exercise is applied in a namespace of its
own, checked before its solution (graded checks fail, ungraded ones pass, a check whose
prerequisite failed is not run and names it, and a probe check that runs does so from a probe
pod the check made), and the namespace is deleted, the probe pod with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.outcomes import NO_CLUSTER
from toolkit.checks.kube import run_checks_on_cluster
from toolkit.export.kube import export_stack, write_export
from toolkit.stack.compose.loader import load_stack

COURSE = Path(__file__).resolve().parents[2] / "compose"


@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason=NO_CLUSTER)
@pytest.mark.parametrize("exercise", ["routing", "hostname-ip", "firewall"])
def test_checks_fail_before_the_solution_on_a_cluster(tmp_path: Path, exercise: str) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("no kubectl to apply the export with")
    namespace = f"lkcheck-{exercise}-{os.getpid()}"
    stack = replace(load_stack(COURSE / exercise / "compose.yaml", environ={}), name=namespace)
    registry = os.environ.get("LABKIT_KUBE_REGISTRY")
    write_export(export_stack(stack, registry=registry), tmp_path)
    try:
        subprocess.run(["kubectl", "apply", "-f", str(tmp_path)], check=True)
        subprocess.run(
            ["kubectl", "wait", "-n", namespace, "--for=condition=Ready", "pod", "--all", "--timeout=300s"],
            check=True,
        )
        run = run_checks_on_cluster(stack, namespace, exercise=exercise)
        results = {result.name: result for result in run.results}
        for check in stack.exercise.checks:
            result = results[check.name]
            failed = [name for name in check.requires if not results[name].passed]
            assert result.blocked_by == (failed[0] if failed else ""), check.name
            assert result.passed is (not check.graded), (check.name, result.reason)
        probed = {r.service.removeprefix("probe-") for r in run.results if r.service.startswith("probe-")}
        ran = {
            r.service.removeprefix("probe-")
            for r in run.results
            if r.service.startswith("probe-") and not r.blocked_by
        }
        pods = subprocess.run(
            ["kubectl", "get", "pods", "-n", namespace, "-l", "io.labkit.probe", "-o", "name"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert sorted(pods) == sorted(f"pod/probe-{network}" for network in ran), probed
    finally:
        subprocess.run(["kubectl", "delete", "namespace", namespace, "--wait=false"], check=False)
