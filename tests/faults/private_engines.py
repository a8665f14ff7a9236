"""Engines of a test's own, to stop and start again without disturbing the shared ones.

- Podman: a second `podman system service` on a private socket. It shares the host's container
  storage with the shared service, so what it creates is visible there too.
- Docker: a second dockerd with its own data root, exec root (and so its own containerd),
  pid file and socket; a default bridge of its own, no iptables rules, no sysctl changes.
  It starts in well under a second here.

Nothing here may touch the shared engines' sockets, processes or interfaces. dockerd 20.10
deletes the host's `docker0` (the shared daemon's bridge) when started with `--bridge=none`,
and when restarted with `--default-address-pool`; so the private dockerd gets a bridge of its
own and no address pools, which means every network created on it must name its subnet
(an automatic one could overlap the shared daemon's networks). `start` checks that `docker0`
survived.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, connect, identify_socket
from toolkit.runtime.specs import EngineName

START_LIMIT = 60.0
STOP_LIMIT = 60.0
SHARED_BRIDGE = "docker0"


class PrivateEngine:
    """One private engine: start(), stop(), start() again on the same socket, close()."""

    def __init__(self, name: EngineName) -> None:
        self.name = name
        # A short folder of its own: unix socket paths are limited to 108 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix=f"lkt-{name}-"))
        self.socket = str(self.folder / f"{name}.sock")
        self.process: subprocess.Popen[bytes] | None = None
        self._log = self.folder / "service.log"
        self.bridge = f"lkt{uuid.uuid4().hex[:8]}"  # the private dockerd's default bridge
        self._bridge_made = False

    @property
    def env(self) -> dict[str, str]:
        """What points a `labkit` process at this engine (with --engine NAME)."""
        variable = "DOCKER_HOST" if self.name == "docker" else "CONTAINER_HOST"
        return {variable: f"unix://{self.socket}"}

    def argv(self) -> list[str]:
        if self.name == "podman":
            return ["podman", "system", "service", "--time=0", f"unix://{self.socket}"]
        return [
            "dockerd",
            "--data-root",
            str(self.folder / "data"),
            "--exec-root",
            str(self.folder / "exec"),
            "--pidfile",
            str(self.folder / "docker.pid"),
            "-H",
            f"unix://{self.socket}",
            "--bridge",
            self.bridge,
            "--iptables=false",
            "--ip-masq=false",
            "--ip-forward=false",
            "--shutdown-timeout",
            "1",
        ]

    def start(self) -> None:
        """Start the engine and wait until it answers on its socket."""
        if self.name == "docker" and not self._bridge_made:
            self._make_bridge()
        shared_bridge = _interface_exists(SHARED_BRIDGE)
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(self.argv(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_LIMIT
        while identify_socket(self.socket) != self.name:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"private {self.name} did not start: {self._log.read_text()[-2000:]}")
            time.sleep(0.05)
        if shared_bridge and not _interface_exists(SHARED_BRIDGE):
            self.stop()
            raise RuntimeError(
                f"the private dockerd removed the shared {SHARED_BRIDGE}: recreate it "
                f"(ip link add {SHARED_BRIDGE} type bridge; ip addr add 172.17.0.1/16 dev "
                f"{SHARED_BRIDGE}; ip link set {SHARED_BRIDGE} up)"
            )

    def stop(self) -> None:
        """Stop the engine as its service manager would (SIGTERM), and wait until it is gone."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_LIMIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def connect(self) -> Runtime:
        return connect(EngineChoice(self.name, self.socket, "test"))

    def close(self) -> None:
        """Remove everything a private dockerd holds, stop the engine, remove its folder.

        A dockerd left stopped by a failed test is started once more for this: its networks'
        bridges live on the host until the daemon removes the networks.
        """
        try:
            if self.name == "docker":
                if self.process is None:
                    self.start()
                runtime = self.connect()
                try:
                    for container in runtime.list_containers({}):
                        runtime.remove_container(container.id, force=True)
                    for network in runtime.list_networks({}):
                        if network.name not in ("bridge", "host", "none"):
                            runtime.remove_network(network.name)
                finally:
                    runtime.close()
        finally:
            self.stop()
            if self._bridge_made:
                subprocess.run(["ip", "link", "del", self.bridge], check=False, capture_output=True)
            shutil.rmtree(self.folder, ignore_errors=True)

    def _make_bridge(self) -> None:
        """A bridge interface only the private dockerd uses, with an address of its own."""
        address = f"10.196.{random.randint(0, 255)}.1/24"
        subprocess.run(["ip", "link", "add", "name", self.bridge, "type", "bridge"], check=True)
        self._bridge_made = True  # from now on, close() removes it
        subprocess.run(["ip", "addr", "add", address, "dev", self.bridge], check=True)
        subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)

    def __enter__(self) -> PrivateEngine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _interface_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def available(name: EngineName) -> str | None:
    """Why a private engine of this kind cannot run here (None: it can)."""
    binary = "dockerd" if name == "docker" else "podman"
    if shutil.which(binary) is None:
        return f"{binary} is not installed"
    if name == "docker" and shutil.which("ip") is None:
        return (
            "the ip command (iproute2) is missing: the private dockerd needs a bridge of its own; "
            "scripts/provision-engines installs it"
        )
    return None
