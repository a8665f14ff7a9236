"""The suite's closing leftover check fails a run that leaves something behind.

Each case runs a small test file in an inner pytest run that loads the suite's own rules
(`-p tests.conftest`) on Docker, and leaks on purpose: a container of the run, an image the run
tagged, a resource only the plugin's final sweep removed (CI), an engine the check cannot list
(CI). Whatever an inner run leaves, this test removes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import BUSYBOX_REF, ensure_busybox
from tests.inner import REPO, run_pytest
from tests.outcomes import NO_REGISTRY, cannot_run
from toolkit.errors import EngineUnavailable
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine

pytestmark = pytest.mark.engine

LEAKY = """
from pathlib import Path

from tests import this_run
from toolkit.runtime.specs import ContainerSpec


def test_leaks(lab_engine, lab_run):
    made = Path({made!r})
    name = this_run.unique("leak")
    labels = {labels}
    lab_engine.create_container(ContainerSpec(image={image!r}, name=name, labels=labels, command=("true",)))
    made.write_text(name + "\\n")
    if {tag_too}:
        tag = f"labkit-test/{{name}}:leak"
        lab_engine.tag_image({image!r}, tag)
        made.write_text(f"{{name}}\\n{{tag}}\\n")
"""


@pytest.fixture(scope="module")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """Docker with the busybox image (one engine proves the check: it lists both alike)."""
    try:
        runtime = connect(resolve_engine("docker"))
        runtime.info()
    except EngineUnavailable as exc:
        cannot_run(f"docker does not answer: {exc}")
    try:
        ensure_busybox(runtime, tmp_path_factory.mktemp("busybox"))
        yield runtime
    finally:
        runtime.close()


def leak(
    folder: Path, *, labels: str, tag_too: bool = False, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run the leaking test in an inner run; remove what it made; (exit code, output)."""
    made = folder / "made.txt"
    test = folder / "test_leaky.py"
    test.write_text(LEAKY.format(made=str(made), labels=labels, image=BUSYBOX_REF, tag_too=tag_too))
    environ = {"LABKIT_ENGINE": "docker", "PYTHONPATH": str(REPO), **(env or {})}
    try:
        result = run_pytest(
            ["-p", "tests.conftest", "--rootdir", str(folder), str(test)], env=environ, cwd=folder
        )
    finally:
        for name in made.read_text().split() if made.is_file() else []:
            kind = "rmi" if ":" in name else "rm"
            subprocess.run(["docker", kind, "-f", name], capture_output=True, check=False)
    return result.returncode, result.stdout + result.stderr


def test_a_container_of_the_run_left_behind_fails_it(docker: Runtime, tmp_path: Path) -> None:
    code, output = leak(tmp_path, labels='{"io.labkit.project": name}', tag_too=True)
    assert code == 1, output
    name, tag = (tmp_path / "made.txt").read_text().split()
    assert "LEFTOVERS: left behind by this run's tests" in output
    assert f"docker container: {name}" in output and f"docker image: {tag}" in output


def test_a_leak_only_the_sweep_removed_fails_under_ci(docker: Runtime, tmp_path: Path) -> None:
    code, output = leak(tmp_path, labels="lab_run.labels(name)", env={"CI": "true"})
    assert code == 1, output
    name = (tmp_path / "made.txt").read_text().split()[0]
    assert "LEAKS: removed by the final sweep" in output and f"docker container {name}" in output
    # Locally the sweep's removal is reported, not failed.
    code, output = leak(tmp_path, labels="lab_run.labels(name)")
    assert code == 0, output
    assert "LEAKS: removed by the final sweep" in output


def test_an_engine_the_check_cannot_list_fails_under_ci(docker: Runtime, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "podman").write_text("#!/bin/sh\necho 'Error: cannot connect to Podman' >&2\nexit 125\n")
    (fake / "podman").chmod(0o755)
    path = f"{fake}:{os.environ['PATH']}"
    code, output = leak(tmp_path, labels="lab_run.labels(name)", env={"PATH": path, "CI": "true"})
    assert code == 1, output
    assert "the leftover check could not look" in output
    assert "`podman ps -a` failed: Error: cannot connect to Podman" in output


SKIPPING = """
import pytest

from tests.outcomes import NO_REGISTRY, host_limit


def test_skips_as_tests_once_did():
    pytest.skip("the base image is not there")


def test_hits_a_host_limit():
    host_limit(NO_REGISTRY, "docker pull x: no such host")
"""


def test_under_ci_only_a_host_limit_may_skip(tmp_path: Path) -> None:
    test = tmp_path / "test_skipping.py"
    test.write_text(SKIPPING)
    args = ["-p", "tests.conftest", "--rootdir", str(tmp_path), str(test)]
    result = run_pytest(args, env={"CI": "true", "PYTHONPATH": str(REPO)}, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "SKIPPED UNDER CI" in output
    assert "test_skipping.py::test_skips_as_tests_once_did: Skipped: the base image is not there" in output
    assert "test_hits_a_host_limit:" not in output
    assert f"     1  {NO_REGISTRY} (a limit of this host) [no engine 1]" in output
    assert output.splitlines()[-1].startswith("2 skipped in"), output  # pytest's line stays last
    result = run_pytest(args, env={"PYTHONPATH": str(REPO)}, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
