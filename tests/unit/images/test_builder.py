"""The builder on the in-memory engine: order, skips, failures, events, the pool's bound."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from toolkit.errors import BuildFailed, ImageNotFound, UsageError
from toolkit.images import build_images, ensure_images
from toolkit.images.builder import HASH_LABEL, BuildEvent, CourseBuilder
from toolkit.images.families import BASES
from toolkit.images.status import list_course_images
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.protocol import BuildOutput, ProgressCallback
from toolkit.runtime.specs import BuildSpec, ImageInfo

from .helpers import small_catalog

BASE = BASES["debian:bookworm"]


def _builds(runtime: FakeRuntime) -> list[str]:
    return [call.split()[1] for call in runtime.calls if call.startswith("build_image")]


@pytest.fixture
def runtime() -> FakeRuntime:
    engine = FakeRuntime()
    engine.add_image(BASE.ref, labels={"io.labkit.bootstrapped": "true"})
    return engine


def test_builds_parents_first_with_labels(tmp_path: Path, runtime: FakeRuntime) -> None:
    report = build_images(runtime, None, BASE, catalog=small_catalog(tmp_path))
    assert report.ok
    assert [b.name for b in report.builds] == ["a", "c", "b"]
    assert _builds(runtime).index("labkit/a:debian-bookworm") < _builds(runtime).index(
        "labkit/b:debian-bookworm"
    )
    labels = runtime.inspect_image("labkit/b:debian-bookworm").labels
    assert labels["org.opencontainers.image.title"] == "b"
    assert labels["org.opencontainers.image.description"] == "built on a"
    assert labels["org.opencontainers.image.base.name"] == "labkit/a:debian-bookworm"
    assert labels["org.opencontainers.image.created"]
    assert labels["org.opencontainers.image.version"]
    assert labels[HASH_LABEL].startswith("sha256:")
    assert labels["io.labkit.base"] == "debian:bookworm"
    a_labels = runtime.inspect_image("labkit/a:debian-bookworm").labels
    assert a_labels["org.opencontainers.image.base.name"] == BASE.ref


def test_unchanged_inputs_skip_the_builder(tmp_path: Path, runtime: FakeRuntime) -> None:
    catalog = small_catalog(tmp_path)
    build_images(runtime, None, BASE, catalog=catalog)
    before = len(_builds(runtime))
    report = build_images(runtime, None, BASE, catalog=catalog)
    assert len(_builds(runtime)) == before
    assert {b.label for b in report.builds} == {"skipped: up to date"}
    forced = build_images(runtime, ["c"], BASE, catalog=catalog, force=True)
    assert forced.get("c").status == "built" and _builds(runtime)[-1] == "labkit/c:debian-bookworm"


def test_a_changed_file_rebuilds_its_image_and_those_built_from_it(
    tmp_path: Path, runtime: FakeRuntime
) -> None:
    catalog = small_catalog(tmp_path)
    build_images(runtime, None, BASE, catalog=catalog)
    before = len(_builds(runtime))
    (catalog.folder / "a" / "motd").write_text("changed\n")
    report = build_images(runtime, None, BASE, catalog=catalog)
    assert sorted(_builds(runtime)[before:]) == ["labkit/a:debian-bookworm", "labkit/b:debian-bookworm"]
    assert report.get("c").label == "skipped: up to date"


def test_a_new_base_image_rebuilds_everything(tmp_path: Path, runtime: FakeRuntime) -> None:
    catalog = small_catalog(tmp_path)
    build_images(runtime, None, BASE, catalog=catalog)
    runtime.add_image(BASE.ref)  # re-imported: a new id
    report = build_images(runtime, None, BASE, catalog=catalog)
    assert {b.status for b in report.builds} == {"built"}


def test_a_failure_skips_its_dependents_and_the_rest_goes_on(tmp_path: Path, runtime: FakeRuntime) -> None:
    runtime.build_failures["labkit/a:debian-bookworm"] = BuildFailed(
        "RUN false failed",
        step="3/4 RUN false",
        log_tail=("boom",),  # as adapters spell steps
    )
    events: list[BuildEvent] = []
    report = build_images(runtime, None, BASE, catalog=small_catalog(tmp_path), on_event=events.append)
    assert not report.ok
    a, b, c = report.get("a"), report.get("b"), report.get("c")
    assert (a.status, a.step, a.log_tail) == ("failed", "3/4 RUN false", ("boom",))
    assert b.label == "skipped: base failed"
    assert c.status == "built"
    assert "labkit/b:debian-bookworm" not in _builds(runtime)
    assert not runtime.image_exists("labkit/a:debian-bookworm")
    finals = {e.image: e.kind for e in events if e.kind in ("built", "skipped", "failed")}
    assert finals == {"a": "failed", "b": "skipped", "c": "built"}
    with pytest.raises(BuildFailed) as caught:
        ensure_images(runtime, ["b"], BASE, images_dir=tmp_path / "images")
    assert caught.value.step == "3/4 RUN false" and "a" in str(caught.value)


def test_missing_base_image_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ImageNotFound, match="labkit images bootstrap debian:bookworm"):
        build_images(FakeRuntime(), None, BASE, catalog=small_catalog(tmp_path))
    with pytest.raises(ImageNotFound, match="pull docker.io/rockylinux/rockylinux:9"):
        build_images(FakeRuntime(), None, "rocky:9", catalog=small_catalog(tmp_path))


def test_unknown_names_fail_before_any_build(tmp_path: Path, runtime: FakeRuntime) -> None:
    with pytest.raises(UsageError, match="choose one of a, b, c"):
        build_images(runtime, ["zzz"], BASE, catalog=small_catalog(tmp_path))
    assert _builds(runtime) == []


def test_ensure_images_returns_tags_and_builds_only_what_is_needed(
    tmp_path: Path, runtime: FakeRuntime
) -> None:
    small_catalog(tmp_path)
    tags = ensure_images(runtime, ["b"], "debian:bookworm", images_dir=tmp_path / "images")
    assert tags == {"b": "labkit/b:debian-bookworm"}
    assert sorted(_builds(runtime)) == ["labkit/a:debian-bookworm", "labkit/b:debian-bookworm"]
    assert ensure_images(runtime, [], "debian:bookworm", images_dir=tmp_path / "images") == {}


class _Overlapping(FakeRuntime):
    """Blocks each build until another one runs at the same time (or the pool lets none)."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=30)
        self.running = 0
        self.most = 0
        self.count_lock = threading.Lock()

    def build_image(self, spec: BuildSpec, on_progress: ProgressCallback | None = None) -> ImageInfo:
        with self.count_lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if on_progress:
                on_progress(BuildOutput("Step 1/2 : FROM x", "1/2 FROM x", starts_step=True))
                on_progress(BuildOutput("STEP 2/2: RUN true", "2/2 RUN true", starts_step=True))
                on_progress(BuildOutput("some output", "2/2 RUN true"))
            if spec.tags[0].split("/")[1].startswith(("c1", "c2")):
                self.barrier.wait()  # the first two independent images must overlap
            return super().build_image(spec, on_progress)
        finally:
            with self.count_lock:
                self.running -= 1


def test_independent_images_build_two_at_a_time(tmp_path: Path) -> None:
    course = {f"c{i}": "FROM labkit/os\nRUN true\n" for i in range(1, 5)}
    runtime = _Overlapping()
    runtime.add_image(BASE.ref)
    events: list[BuildEvent] = []
    builder = CourseBuilder(runtime, small_catalog(tmp_path, course), BASE, on_event=events.append)
    report = builder.build()
    assert report.ok
    assert runtime.most == 2
    steps = [e.step for e in events if e.image == "c3" and e.kind == "step"]
    assert steps == ["1/2 FROM x", "2/2 RUN true"]
    output = [e for e in events if e.kind == "output" and e.image == "c3"]
    assert output[0].message == "some output" and output[0].step == "2/2 RUN true"


def test_list_course_images_tells_current_from_stale(tmp_path: Path, runtime: FakeRuntime) -> None:
    catalog = small_catalog(tmp_path)
    build_images(runtime, ["b"], BASE, catalog=catalog)
    listing = {s.name: s for s in list_course_images(runtime, catalog)}
    assert [(t.tag, t.up_to_date) for t in listing["b"].tags] == [("labkit/b:debian-bookworm", True)]
    assert listing["c"].tags == ()
    (catalog.folder / "a" / "motd").write_text("changed\n")
    listing = {s.name: s for s in list_course_images(runtime, catalog)}
    assert (listing["a"].tags[0].up_to_date, listing["a"].tags[0].why_stale) == (
        False,
        "inputs changed",
    )
    assert (listing["b"].tags[0].up_to_date, listing["b"].tags[0].why_stale) == (
        False,
        "built FROM a stale a",
    )


def test_a_rebuild_removes_the_image_it_replaced(tmp_path: Path, runtime: FakeRuntime) -> None:
    catalog = small_catalog(tmp_path)
    build_images(runtime, None, BASE, catalog=catalog)
    replaced = runtime.inspect_image("labkit/c:debian-bookworm").id
    build_images(runtime, ["c"], BASE, catalog=catalog, force=True)
    assert runtime.inspect_image("labkit/c:debian-bookworm").id != replaced
    assert not runtime.image_exists(replaced)
    assert replaced not in {image.id for image in runtime.list_images({})}
