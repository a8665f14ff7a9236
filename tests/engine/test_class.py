"""A class on one host: copies of the routing exercise side by side, each with its own subnets.

Real `labkit` processes against each engine, as a teacher runs them: five `up --renumber` at
once, then each project's checks (graded ones fail), its solution and its checks again (all
pass), then five `down` at once and nothing left. Without --renumber, a second copy is refused
before anything is created.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from tests import this_run
from toolkit.runtime.protocol import Runtime
from toolkit.stack.operations import down

from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
BASE = "debian:bookworm"
CLASS_SIZE = 5
T = TypeVar("T")


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "LABKIT_COURSE": str(ROOT)},
    )


@pytest.fixture(scope="session")
def netlab(runtime: Runtime) -> str:
    """The routing exercise's course image, built once per engine (the Debian base made offline
    from the cached rootfs when the engine lacks it)."""
    from toolkit.images import bootstrap_image, ensure_images, get_base

    if not runtime.image_exists(get_base(BASE).ref):
        bootstrap_image(runtime, BASE)
    return ensure_images(runtime, ["netlab"], BASE)["netlab"]


@pytest.fixture
def projects(runtime: Runtime) -> Iterator[list[str]]:
    """Names for a class, unique to this test; whatever the test does, they go down."""
    tag = this_run.unique("cls")
    names = [f"{tag}-{index}" for index in range(1, CLASS_SIZE + 1)]
    yield names
    for name in names:
        down(runtime, name, volumes=True)


def at_once(work: Callable[[str], T], projects: list[str]) -> list[T]:
    """Run `work` for every project at the same time, as many labkit processes would."""
    with ThreadPoolExecutor(len(projects)) as pool:
        return list(pool.map(work, projects))


def ipv4_subnets(runtime: Runtime) -> dict[str, ipaddress.IPv4Network]:
    """Every network on the engine with an IPv4 subnet, by name."""
    found = {}
    for network in runtime.list_networks({}):
        subnet = ipaddress.ip_network(network.subnet or "::/0")
        if isinstance(subnet, ipaddress.IPv4Network):
            found[network.name] = subnet
    return found


def check_run(result: subprocess.CompletedProcess[str]) -> dict[str, bool]:
    """`labkit check --json`: check name -> passed; graded checks' names end with ' (graded)'."""
    run = json.loads(result.stdout)
    return {f"{c['name']}{' (graded)' if c['graded'] else ''}": c["passed"] for c in run["checks"]}


def test_a_class_of_five_renumbered_copies_comes_up_checks_solves_and_goes(
    runtime: Runtime, netlab: str, projects: list[str]
) -> None:
    engine = runtime.name
    ups = at_once(lambda p: labkit("up", "routing", "-p", p, "--renumber", "--engine", engine), projects)
    for project, result in zip(projects, ups, strict=True):
        assert result.returncode == 0, f"{project}: {result.stderr}"

    # Every project's networks have subnets of their own, of the declared size.
    subnets = ipv4_subnets(runtime)
    mine = {name: subnet for name, subnet in subnets.items() if name.startswith(tuple(projects))}
    assert len(mine) == 2 * CLASS_SIZE
    for name, subnet in mine.items():
        assert subnet.prefixlen == 24 and str(subnet) not in ("10.30.1.0/24", "10.30.2.0/24")
        overlapping = [other for other, s in subnets.items() if other != name and s.overlaps(subnet)]
        assert overlapping == [], f"{name} ({subnet}) overlaps {overlapping}"

    # `describe` shows a project's own addresses.
    described = json.loads(labkit("describe", "routing", "-p", projects[0], "--json", "-e", engine).stdout)
    assert described["networks"][0]["subnet"] == str(mine[f"{projects[0]}-lan1"])
    assert (described["up"], described["renumbered"]) == (True, True)

    def lesson(project: str) -> tuple[dict[str, bool], subprocess.CompletedProcess[str], dict[str, bool]]:
        before = check_run(labkit("check", "routing", "-p", project, "--json", "--engine", engine))
        solved = labkit("solve", "routing", "-p", project, "--engine", engine)
        after = check_run(labkit("check", "routing", "-p", project, "--json", "--engine", engine))
        return before, solved, after

    for project, (before, solved, after) in zip(projects, at_once(lesson, projects), strict=True):
        assert len(before) == 5, project
        assert before == {name: not name.endswith("(graded)") for name in before}, (
            f"{project} before the solution"
        )
        assert solved.returncode == 0, f"{project}: {solved.stdout}{solved.stderr}"
        assert all(after.values()), f"{project} after the solution: {after}"

    downs = at_once(lambda p: labkit("down", "-p", p, "--engine", engine), projects)
    for project, result in zip(projects, downs, strict=True):
        assert result.returncode == 0, f"{project}: {result.stderr}"
        assert leftovers(runtime, project) == []


@pytest.fixture
def routing_copy(tmp_path: Path, runtime: Runtime) -> Path:
    """The routing exercise with two /24s nothing on this engine uses, so that its first copy
    gets them whatever else runs here; the same file otherwise."""
    taken = ipv4_subnets(runtime).values()
    while True:
        pair = ipaddress.IPv4Network(f"10.{60 + uuid.uuid4().int % 40}.{2 * (uuid.uuid4().int % 127)}.0/23")
        if not any(pair.overlaps(t) for t in taken):
            break
    text = (ROOT / "compose" / "routing" / "compose.yaml").read_text()
    for lan, subnet in zip(("10.30.1.", "10.30.2."), pair.subnets(new_prefix=24), strict=True):
        new = str(subnet.network_address).removesuffix("0")
        text = text.replace(lan, new).replace(lan.replace(".", r"\."), new.replace(".", r"\."))
    folder = tmp_path / "compose" / "routing"
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text(text)
    return folder / "compose.yaml"


def test_a_second_copy_without_renumber_is_refused_before_anything_is_created(
    runtime: Runtime, netlab: str, projects: list[str], routing_copy: Path
) -> None:
    first, second = projects[:2]
    engine = runtime.name
    assert labkit("up", str(routing_copy), "-p", first, "--engine", engine).returncode == 0
    lan1 = next(n for n in runtime.list_networks({"io.labkit.project": first}) if n.name.endswith("-lan1"))

    refused = labkit("up", str(routing_copy), "-p", second, "--engine", engine)
    assert refused.returncode == 2, refused.stderr
    message = " ".join(refused.stderr.split())
    assert f"network 'lan1' ({lan1.subnet}) of project '{second}' overlaps network '{first}-lan1'" in message
    assert "--renumber" in message
    assert leftovers(runtime, second) == []

    renumbered = labkit("up", str(routing_copy), "-p", second, "--renumber", "--engine", engine)
    assert renumbered.returncode == 0, renumbered.stderr
