"""Interface names and order: eth0, eth1, ... by `priority`, then network key, on both engines.

Docker numbers a service's interfaces by network name, internal networks last (so does Compose
v2 there: networks written `zeta, alpha, mid` give eth0 alpha, eth1 mid, eth2 zeta); labkit
numbers them the same way on Docker and Podman, with `priority` first, shows the names in `ps`,
and honours `interface_name` and a `priority` that changes the order where the engine can
(Podman; Docker from Engine 28), refusing them in one line elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.runtime.docker.interfaces import IFNAME_API, api_at_least
from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.stack.compose import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up
from toolkit.stack.outcomes import UpResult

from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

COMPOSE = """\
name: ifaces
x-box: &box
  image: {image}
  init: true
  command: [sleep, "3600"]
services:
  box:
    <<: *box
    networks: {{zeta: {{}}, alpha: {{}}, mid: {{}}}}
  lan:
    <<: *box
    networks: {{back: {{ipv4_address: {prefix}.3.20}}, zeta: {{}}, alpha: {{}}}}
networks:
  zeta: {{ipam: {{config: [{{subnet: {prefix}.0.0/24}}]}}}}
  alpha: {{ipam: {{config: [{{subnet: {prefix}.1.0/24}}]}}}}
  mid: {{ipam: {{config: [{{subnet: {prefix}.2.0/24}}]}}}}
  back: {{internal: true, ipam: {{config: [{{subnet: {prefix}.3.0/24}}]}}}}
"""

NAMED = """\
name: named
services:
  box:
    image: {image}
    init: true
    command: [sleep, "3600"]
    networks: {{alpha: {{interface_name: lan0}}, zeta: {{priority: 5}}}}
networks:
  alpha: {{ipam: {{config: [{{subnet: {prefix}.1.0/24}}]}}}}
  zeta: {{ipam: {{config: [{{subnet: {prefix}.0.0/24}}]}}}}
"""


def _prefix() -> str:
    return f"10.{random.randint(150, 249)}"


def interfaces_inside(runtime: Runtime, container: str) -> dict[str, str]:
    """IPv4 address -> interface name, as the container sees them."""
    listing = runtime.exec(container, ["ip", "-4", "-o", "addr", "show"])
    assert listing.ok, listing
    found = {}
    for line in listing.stdout.splitlines():
        words = line.split()
        found[words[3].split("/")[0]] = words[1]
    return found


def named_interfaces(runtime: Runtime, result: UpResult, service: str) -> dict[str, str]:
    """Network key -> the interface that holds the service's address on it, inside."""
    [status] = [s for s in result.services if s.service == service]
    inside = interfaces_inside(runtime, status.container)
    return {network: inside[address] for network, address in status.ips.items()}


@pytest.fixture
def project(runtime: Runtime) -> Iterator[str]:
    name = f"lkt-if-{random.randint(0, 1 << 32):08x}"
    yield name
    down(runtime, name, volumes=True)


def test_three_networks_are_numbered_by_priority_then_name(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE.format(image=busybox_image, prefix=_prefix()))

    result = up(runtime, load_stack(tmp_path / "compose.yaml", environ={}), project=project)

    assert named_interfaces(runtime, result, "box") == {"alpha": "eth0", "mid": "eth1", "zeta": "eth2"}
    assert named_interfaces(runtime, result, "lan") == {"alpha": "eth0", "zeta": "eth1", "back": "eth2"}
    [box] = [s for s in result.services if s.service == "box"]
    assert dict(box.interfaces) == {"alpha": "eth0", "mid": "eth1", "zeta": "eth2"}
    ps = labkit(
        "ps", str(tmp_path / "compose.yaml"), "-p", project, "--engine", runtime.name, env={"COLUMNS": "120"}
    )
    assert ps.returncode == 0, ps.stderr
    assert f"eth0 alpha {box.ips['alpha']}" in ps.stdout
    assert f"eth2 zeta {box.ips['zeta']}" in ps.stdout


def test_interface_name_is_honoured_or_refused_in_one_line(
    runtime: Runtime, busybox_image: str, project: str, tmp_path: Path
) -> None:
    (tmp_path / "compose.yaml").write_text(NAMED.format(image=busybox_image, prefix=_prefix()))
    stack = load_stack(tmp_path / "compose.yaml", environ={})

    if runtime.name == "docker" and not api_at_least(runtime.info().api_version, IFNAME_API):
        with pytest.raises(UsageError) as refused:
            up(runtime, stack, project=project)
        message = str(refused.value)
        assert "\n" not in message and f"Docker {runtime.info().version}" in message
        assert "cannot name them" in message
        assert leftovers(runtime, project) == []
        return

    result = up(runtime, stack, project=project)

    assert named_interfaces(runtime, result, "box") == {"zeta": "eth0", "alpha": "lan0"}
    container = naming.container_name(project, "box")
    assert runtime.inspect_container(container).running
