"""`labkit graph -p`: a running project is drawn with what the engine assigned it."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime
from toolkit.stack import naming
from toolkit.topology.from_engine import INTERFACE_PROBE, parse_addresses

from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers, test_subnet

pytestmark = pytest.mark.engine

# The router lists zlan before alan: Docker numbers interfaces by network name, Podman 4 in the
# written order, and the picture of a running project must show what each engine really did.
COMPOSE = """\
name: graphtest
x-labkit:
  title: A router between two LANs
services:
  router:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    sysctls:
      net.ipv4.ip_forward: "1"
    ports: ["80"]
    networks:
      zlan:
        ipv4_address: {zlan_router}
      alan:
        ipv4_address: {alan_router}
  host:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    networks: [alan]
networks:
  alan:
    ipam:
      config:
        - subnet: {alan}
  zlan:
    ipam:
      config:
        - subnet: {zlan}
"""


def write_compose(folder: Path, image: str) -> tuple[Path, tuple[str, str]]:
    alan, zlan = test_subnet(), test_subnet()
    while zlan == alan:
        zlan = test_subnet()
    path = folder / "graphtest" / "compose.yaml"
    path.parent.mkdir()
    path.write_text(
        COMPOSE.format(
            image=image,
            alan=alan,
            zlan=zlan,
            alan_router=alan.replace(".0/24", ".254"),
            zlan_router=zlan.replace(".0/24", ".254"),
        )
    )
    return path, (alan, zlan)


def test_a_running_project_is_drawn_as_the_engine_has_it(
    runtime: Runtime, busybox_image: str, tmp_path: Path, unique_name: str
) -> None:
    compose, declared = write_compose(tmp_path, busybox_image)
    engine = ("--engine", runtime.name)
    try:
        up = labkit("up", str(compose), "-p", unique_name, "--renumber", "--no-wait", *engine)
        assert up.returncode == 0, up.stderr
        dot = labkit("graph", str(compose), "-p", unique_name, "-f", "dot", *engine)
        assert dot.returncode == 0, dot.stderr
        (router,) = runtime.list_containers(naming.stack_container_selector(unique_name, "router"))
        real = parse_addresses(runtime.exec(router.id, INTERFACE_PROBE).stdout)
        assert len(real) == 2, real
        for interface, address in real.items():
            # Renumbered addresses, with the interface name the container really has.
            assert f'<b>{interface}</b><br/><font point-size="9" color="#555555">{address}<' in dot.stdout
            assert not any(address.startswith(subnet.removesuffix("0/24")) for subnet in declared)
        assert f"project {unique_name}, as running on {runtime.name}" in dot.stdout
        assert "router, forwards IPv4" in dot.stdout
        # The port the engine picked on the host (Docker lists it once per address family).
        assert router.ports and all(port.container_port == 80 for port in router.ports)
        host_port = router.ports[0].host_port
        assert host_port is not None and f"{host_port}-&gt;80/tcp" in dot.stdout
        svg = tmp_path / "running.svg"
        drawn = labkit("graph", str(compose), "-p", unique_name, "-o", str(svg), *engine)
        assert drawn.returncode == 0, drawn.stderr
        assert all(address in svg.read_text() for address in real.values())
        page = tmp_path / "handout.md"
        handed = labkit("handout", str(compose), "-p", unique_name, "-o", str(page), *engine)
        assert handed.returncode == 0, handed.stderr
        for interface, address in real.items():
            assert f"| {interface} |" in page.read_text() and f"| {address} |" in page.read_text()
        assert f"-p {unique_name} --renumber" in page.read_text()
    finally:
        labkit("down", "-p", unique_name, *engine)
    assert leftovers(runtime, unique_name) == []


def test_a_project_that_is_not_up_is_drawn_from_the_file(
    runtime: Runtime, busybox_image: str, tmp_path: Path, unique_name: str
) -> None:
    compose, _ = write_compose(tmp_path, busybox_image)
    drawn = labkit("graph", str(compose), "-p", unique_name, "-f", "mermaid", "--engine", runtime.name)
    assert drawn.returncode == 0, drawn.stderr
    assert f"project {unique_name} is not up on {runtime.name}" in drawn.stderr
    assert drawn.stdout.startswith("flowchart LR")
    assert leftovers(runtime, unique_name) == []
