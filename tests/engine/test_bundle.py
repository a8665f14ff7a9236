"""An offline course bundle packed on one engine is unpacked, started and checked on the other.

The bundle here holds a course made for the test: one tiny course image on a base of its own
(a busybox root filesystem under a unique tag, registered as a base for this test only). The
real course's base and images are shared by everything running on these engines: loading
another engine's copy of them would move their tags under concurrent users, so this test
packs and removes only what it made.
"""

from __future__ import annotations

import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.bundle import install_bundle, pack_course, verify_bundle
from toolkit.checks.runner import run_checks
from toolkit.errors import ImageNotFound
from toolkit.images import families
from toolkit.images.families import Base, PackageManager
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.naming import stack_container_selector
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up
from toolkit.stack.outcomes import StackEvent

from .conftest import _in_ci, busybox_rootfs_tar
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

COMPOSE = """\
name: {exercise}
x-labkit:
  title: A bundled lab
  checks:
    - name: the student left a mark
      service: box
      run: test -f /tmp/solved
  solution:
    - service: box
      run: touch /tmp/solved
services:
  box:
    image: labkit/{image}:${{LABKIT_BASE:-{tag}}}
    pull_policy: never
    init: true
    command: ["sleep", "3600"]
"""


@pytest.fixture
def other_engine(runtime: Runtime) -> Iterator[Runtime]:
    """The engine the bundle is unpacked on: the one `runtime` is not."""
    name = "podman" if runtime.name == "docker" else "docker"
    try:
        engine = connect(resolve_engine(name, start_podman=lambda: None))
        engine.info()
    except Exception as exc:
        if _in_ci():
            pytest.fail(f"{name} is required in CI and does not answer: {exc}")
        pytest.skip(f"{name} does not answer: {exc}")
    yield engine
    engine.close()


@pytest.fixture
def test_base(monkeypatch: pytest.MonkeyPatch) -> Base:
    token = uuid.uuid4().hex[:8]
    base = Base(
        alias=f"labkittest:{token}",
        ref=f"localhost/labkit-test-os-{token}:latest",
        package_manager=PackageManager.APT_GET,
        tag=f"labkittest-{token}",
        distribution="debian",
    )
    monkeypatch.setitem(families.BASES, base.alias, base)  # type: ignore[attr-defined]
    return base


def make_course(folder: Path, image: str, base: Base, exercise: str) -> Path:
    (folder / "images" / image).mkdir(parents=True)
    (folder / "images" / image / "Containerfile").write_text('FROM labkit/os\nCMD ["sleep", "3600"]\n')
    (folder / "compose" / exercise).mkdir(parents=True)
    compose = COMPOSE.format(exercise=exercise, image=image, tag=base.tag)
    (folder / "compose" / exercise / "compose.yaml").write_text(compose)
    return folder


def remove_images(engine: Runtime, refs: list[str]) -> None:
    for ref in refs:
        try:
            engine.remove_image(ref, force=True)
        except ImageNotFound:
            pass


def test_packed_on_one_engine_unpacked_up_and_checked_on_the_other(
    runtime: Runtime, other_engine: Runtime, test_base: Base, tmp_path: Path, unique_name: str
) -> None:
    image, exercise = f"bt{uuid.uuid4().hex[:8]}", f"lab{uuid.uuid4().hex[:6]}"
    course_tag = f"labkit/{image}:{test_base.tag}"
    course = make_course(tmp_path / "course", image, test_base, exercise)
    rootfs = busybox_rootfs_tar(tmp_path / "rootfs.tar")
    runtime.import_rootfs(
        rootfs, test_base.ref, changes=["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["sh"]']
    )
    made = [course_tag, test_base.ref]
    try:
        packed = pack_course(runtime, course, tmp_path / "course.tar", base=test_base.alias)
        assert runtime.image_exists(course_tag)  # built first, since it was missing
        assert not packed.manifest.solutions and packed.manifest.exercises == (exercise,)
        with tarfile.open(packed.path) as tar:
            member = tar.extractfile(f"course/compose/{exercise}/compose.yaml")
            assert member is not None and b"solution" not in member.read()
        assert not other_engine.image_exists(course_tag) and not other_engine.image_exists(test_base.ref)

        room = tmp_path / "room"
        result = install_bundle(other_engine, verify_bundle(packed.path, room), room)
        assert set(result.images) == set(made)
        for bundled in packed.manifest.images:
            assert other_engine.inspect_image(bundled.ref).id.removeprefix(
                "sha256:"
            ) == bundled.id.removeprefix("sha256:")
        assert sorted(p.name for p in room.iterdir()) == ["compose", "images"]

        stack = load_stack(room / "compose" / exercise / "compose.yaml")
        events: list[StackEvent] = []
        up(other_engine, stack, project=unique_name, on_event=events.append, timeout=60)
        assert not [e for e in events if e.kind.startswith("image-build")], "unpacked images were rebuilt"
        assert not run_checks(other_engine, stack, unique_name).passed  # not solved yet
        (box,) = other_engine.list_containers(stack_container_selector(unique_name, "box"))
        assert other_engine.exec(box.id, ["touch", "/tmp/solved"]).ok
        assert run_checks(other_engine, stack, unique_name).passed
        down(other_engine, unique_name)
        assert leftovers(other_engine, unique_name) == []
    finally:
        down(other_engine, unique_name)
        remove_images(other_engine, made)
        remove_images(runtime, made)
