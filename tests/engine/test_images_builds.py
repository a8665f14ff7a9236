"""The builder on real engines with a tiny course on busybox: rebuild exactly what changed,
report failures with their step, never leave a half-built image tagged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from tests.engine.test_images import CountingRuntime
from toolkit.errors import ImageNotFound
from toolkit.images import BuildReport, CourseBuilder, load_catalog
from toolkit.images.families import Base, PackageManager
from toolkit.runtime.protocol import Runtime

pytestmark = pytest.mark.engine

TINY_COURSE = {
    "a": "# a: the shared parent\nFROM labkit/os\nCOPY motd /etc/motd\nRUN cat /etc/motd\n",
    "b": "# b: built on a\nFROM labkit/a\nRUN echo b > /b\n",
    "c": "# c: on its own\nFROM labkit/os\nRUN echo c > /c\n",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


@pytest.fixture
def busybox_base(busybox_image: str) -> Base:
    """The busybox test image standing in for a distribution base (no package installs)."""
    return Base("busybox:test", busybox_image, PackageManager.APT_GET, "busybox", "busybox")


@pytest.fixture
def namespace(runtime: Runtime, unique_name: str) -> Iterator[str]:
    """A namespace of tags only this test uses; every image tagged in it is removed after."""
    yield f"labkit-test-{unique_name}"
    for name in ("a", "b", "c", "bad", "child", "good"):
        with suppress(ImageNotFound):
            runtime.remove_image(f"labkit-test-{unique_name}/{name}:busybox", force=True)


def _build(runtime: Runtime, folder: Path, base: Base, namespace: str) -> BuildReport:
    return CourseBuilder(runtime, load_catalog(folder), base, namespace=namespace).build()


def test_a_changed_parent_rebuilds_it_and_its_children_only(
    runtime: Runtime, busybox_base: Base, namespace: str, tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "images",
        {**{f"{n}/Containerfile": t for n, t in TINY_COURSE.items()}, "a/motd": "first\n"},
    )
    first = _build(runtime, folder, busybox_base, namespace)
    assert first.ok and {b.status for b in first.builds} == {"built"}

    counting = CountingRuntime(runtime)
    assert _build(counting, folder, busybox_base, namespace).ok  # type: ignore[arg-type]
    assert counting.built == []

    (folder / "a" / "motd").write_text("second\n")
    report = _build(counting, folder, busybox_base, namespace)  # type: ignore[arg-type]
    assert sorted(counting.built) == [f"{namespace}/a:busybox", f"{namespace}/b:busybox"]
    assert counting.built.index(f"{namespace}/a:busybox") == 0  # the parent first
    assert report.get("c").label == "skipped: up to date"
    assert report.get("b").image_id != first.get("b").image_id


def test_a_failed_run_reports_its_step_and_tags_nothing(
    runtime: Runtime, busybox_base: Base, namespace: str, tmp_path: Path
) -> None:
    folder = write(
        tmp_path / "images",
        {
            "bad/Containerfile": "FROM labkit/os\nRUN echo about to fail && exit 3\nRUN echo never\n",
            "child/Containerfile": "FROM labkit/bad\nRUN true\n",
            "good/Containerfile": "FROM labkit/os\nRUN echo fine > /fine\n",
        },
    )
    report = _build(runtime, folder, busybox_base, namespace)
    bad, child, good = report.get("bad"), report.get("child"), report.get("good")
    assert bad.status == "failed"
    assert bad.step.startswith("2/") and "RUN echo about to fail && exit 3" in bad.step
    assert any("about to fail" in line for line in bad.log_tail), bad.log_tail
    assert child.label == "skipped: base failed"
    assert good.status == "built" and runtime.image_exists(f"{namespace}/good:busybox")
    assert not runtime.image_exists(f"{namespace}/bad:busybox")
    assert runtime.list_images({"io.labkit.image": "bad"}) == []
    assert not report.ok
