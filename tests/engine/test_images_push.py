"""`labkit images push` against a real registry: Debian's docker-registry, on localhost.

Each engine pushes an image; the other engine pulls it back from the registry, which proves
the push produced an image a cluster (or anyone) can pull. Docker allows plain HTTP to a
localhost registry by itself; Podman is told so per push (--insecure).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.errors import EngineError
from toolkit.runtime.protocol import Runtime

pytestmark = pytest.mark.engine

PULL = {
    "docker": ["docker", "pull", "-q"],
    "podman": ["podman", "pull", "-q", "--tls-verify=false"],
}
REMOVE = {"docker": ["docker", "rmi"], "podman": ["podman", "rmi"]}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain-HTTP registry on a free localhost port, for this module only."""
    binary = shutil.which("docker-registry")
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("docker-registry is required in CI (scripts/provision-engines installs it)")
        pytest.skip("no docker-registry (Debian package docker-registry)")
    root = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (root / "registry.log").open("w")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_answers(f"http://127.0.0.1:{port}/v2/", process, root / "registry.log")
        yield f"localhost:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    while process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # it is starting: the socket is not bound yet
    pytest.fail(f"docker-registry exited: {log.read_text()[-500:]}")


def _other(runtime: Runtime) -> str:
    return "podman" if runtime.name == "docker" else "docker"


def test_an_engine_pushes_and_the_other_pulls_it_back(
    runtime: Runtime, busybox_image: str, registry: str
) -> None:
    destination = f"{registry}/labkit-test/pushed-{runtime.name}:{uuid.uuid4().hex[:8]}"
    runtime.push_image(busybox_image, destination, insecure=True)
    assert not runtime.image_exists(destination)  # the push leaves no extra name behind
    other = _other(runtime)
    if shutil.which(other) is None:
        pytest.skip(f"no {other} to pull back with")
    pulled = subprocess.run([*PULL[other], destination], capture_output=True, text=True, check=False)
    try:
        assert pulled.returncode == 0, pulled.stderr
        listed = subprocess.run([other, "image", "inspect", destination], capture_output=True, check=False)
        assert listed.returncode == 0
    finally:
        subprocess.run([*REMOVE[other], destination], capture_output=True, check=False)


def test_a_registry_that_does_not_answer_is_an_engine_error(runtime: Runtime, busybox_image: str) -> None:
    nowhere = f"localhost:{_free_port()}/labkit-test/nowhere:1"
    with pytest.raises(EngineError):
        runtime.push_image(busybox_image, nowhere, insecure=True)
    assert not runtime.image_exists(nowhere)
