"""A class with variants, graded: `labkit class` on each engine, with real processes.

Five students of the hostname-ip exercise come up with their own values; three solve their own
variant, one gets a classmate's solution (their values, in this student's stack), one does
nothing, and a sixth on the roster never came up. The gradebook CSV says exactly that; the
probe containers `class up` made are the ones the check used (it starts none), they go with
`class down`, and nothing is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.checks.probe import LABEL_PROBE
from toolkit.checks.project import stack_as_running
from toolkit.checks.solve import apply_solution
from toolkit.course import load_exercise
from toolkit.runtime.protocol import Runtime
from toolkit.stack.operations import down
from toolkit.stack.variants import student_project

from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
BASE = "debian:bookworm"
SECRET = "a course secret for the engine tests"
EXERCISE = "hostname-ip"


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "LABKIT_COURSE": str(ROOT), "LABKIT_COURSE_SECRET": SECRET, "COLUMNS": "200"},
    )


@pytest.fixture(scope="module")
def base_image(runtime: Runtime) -> str:
    from toolkit.images import bootstrap_image, ensure_images, get_base

    if not runtime.image_exists(get_base(BASE).ref):
        bootstrap_image(runtime, BASE)
    return ensure_images(runtime, ["base"], BASE)["base"]


@pytest.fixture
def roster(tmp_path: Path, runtime: Runtime) -> Iterator[tuple[Path, list[str]]]:
    """Five students who come up, and a sixth who never does; whatever happens, all go down."""
    tag = uuid.uuid4().hex[:5]
    ids = [f"t{tag}s{n}" for n in range(6)]
    path = tmp_path / "class.csv"
    path.write_text(
        "id,name,email\n" + "".join(f"{i},Student {n},{i}@example.org\n" for n, i in enumerate(ids))
    )
    up_path = tmp_path / "up.csv"
    up_path.write_text("".join(f"{i},Student {n}\n" for n, i in enumerate(ids[:5])))
    yield path, ids
    for student in ids:
        down(runtime, student_project(EXERCISE, student), volumes=True)


def test_a_class_of_five_with_variants_is_graded_exactly_and_leaves_nothing(
    runtime: Runtime, base_image: str, roster: tuple[Path, list[str]]
) -> None:
    engine = runtime.name
    path, ids = roster
    up_roster = path.with_name("up.csv")
    up = labkit("class", "up", EXERCISE, "--roster", str(up_roster), "-e", engine)
    assert up.returncode == 0, up.stdout + up.stderr
    projects = {student_project(EXERCISE, student) for student in ids}
    # class up makes each student's probe: no check run starts a container while checks run.
    probes_made = probe_ids(runtime, projects)
    assert len(probes_made) == 5, probes_made

    values = {}
    for student in ids[:5]:
        described = json.loads(
            labkit("describe", EXERCISE, "--student", student, "--json", "-e", engine).stdout
        )
        assert described["up"] and described["renumbered"], student
        values[student] = dict(described["values"])
    assert len({(v["HOST1_NAME"], v["HOST1_IP"]) for v in values.values()}) == 5, values

    # Three solve their own variant; the fourth gets a classmate's solution, with the
    # classmate's values, in their own stack; the fifth does nothing.
    for student in ids[:3]:
        solved = labkit("solve", EXERCISE, "--student", student, "-e", engine)
        assert solved.returncode == 0, solved.stdout + solved.stderr
    copier = ids[3]
    host_part = {student: v["HOST1_IP"].rsplit(".", 1)[1] for student, v in values.items()}
    source = next(s for s in ids[:3] if host_part[s] != host_part[copier])
    project = student_project(EXERCISE, copier)
    copied = load_exercise(EXERCISE, student=source, secret=SECRET.encode(), project=project)
    assert apply_solution(runtime, stack_as_running(runtime, copied, project), project).passed

    graded = labkit("class", "check", EXERCISE, "--roster", str(path), "--csv", "-e", engine)
    assert graded.returncode == 1, graded.stderr  # the sixth student is not up
    lines = graded.stdout.splitlines()
    assert lines[0] == (
        "id,name,email,status,/etc/hostname on host1 says the host name (1),"
        "the host name resolves to host1's static address (1),host1 has its static address on eth0 (2),"
        'host2 reaches host1 at its static address (1),"host1 answers at its static address, seen from '
        'the LAN (1)",total'
    )
    assert lines[1:] == [
        f"{ids[0]},Student 0,{ids[0]}@example.org,graded,1,1,2,1,1,6",
        f"{ids[1]},Student 1,{ids[1]}@example.org,graded,1,1,2,1,1,6",
        f"{ids[2]},Student 2,{ids[2]}@example.org,graded,1,1,2,1,1,6",
        f"{ids[3]},Student 3,{ids[3]}@example.org,graded,0,0,0,0,0,0",
        f"{ids[4]},Student 4,{ids[4]}@example.org,graded,0,0,0,0,0,0",
        f"{ids[5]},Student 5,{ids[5]}@example.org,not up,,,,,,0",
    ], graded.stdout

    # The same probes, none made or remade by the check: on Podman a container joining a network
    # while checks run costs other checks their name lookups (a 10 s timeout, a lost point).
    assert probe_ids(runtime, projects) == probes_made

    gone = labkit("class", "down", EXERCISE, "--roster", str(path), "-e", engine)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    for student in ids:
        assert leftovers(runtime, student_project(EXERCISE, student)) == []
    assert probe_ids(runtime, projects) == set()


def probe_ids(runtime: Runtime, projects: set[str]) -> set[str]:
    """The probe containers of these projects, by id."""
    listed = runtime.list_containers({LABEL_PROBE: None}, health=False)
    return {probe.id for probe in listed if probe.labels["io.labkit.project"] in projects}
