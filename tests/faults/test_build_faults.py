"""Image builds interrupted or failing: a clean exit and no labkit-tagged image left.

The library path of a failing build is covered in tests/engine/test_images_builds.py; here a
real `labkit` process builds a throwaway course image on the course's Debian base, and the
builder is interrupted in-process on the busybox test image.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from tests import this_run
from toolkit.errors import ImageNotFound, ToolkitError
from toolkit.images import BuildEvent, CourseBuilder, load_catalog
from toolkit.images.bootstrap import BOOTSTRAPPED_LABEL
from toolkit.images.builder import IMAGE_LABEL
from toolkit.images.families import Base, PackageManager, get_base
from toolkit.images.rendering import image_tag
from toolkit.runtime.protocol import Runtime

from .conftest import assert_clean_exit, interrupt, labkit, process_with, start_labkit, stop, wait_until

pytestmark = pytest.mark.engine

BASE = get_base("debian:bookworm")


@pytest.fixture
def image_name(runtime: Runtime, debian_base: str) -> Iterator[str]:
    """A course image name no one else uses, on the course base; its tag is removed after the test."""
    assert debian_base == BASE.ref
    name = this_run.unique()
    cache_before = step_cache(runtime)
    yield name
    with suppress(ImageNotFound):
        runtime.remove_image(tag_of(name), force=True)
    # A failed build keeps the engine's cache of the steps that worked (untagged images that
    # inherit the base's labels), so a fixed Containerfile builds fast. Not for a test to keep.
    for image_id in step_cache(runtime) - cache_before:
        with suppress(ToolkitError):
            runtime.remove_image(image_id)


def step_cache(runtime: Runtime) -> set[str]:
    """Untagged images built on the course base."""
    return {i.id for i in runtime.list_images({BOOTSTRAPPED_LABEL: "true"}) if not i.tags}


def tag_of(name: str) -> str:
    return image_tag(name, BASE)


def images_dir(tmp_path: Path, name: str, containerfile: str) -> Path:
    folder = tmp_path / "images"
    (folder / name).mkdir(parents=True)
    (folder / name / "Containerfile").write_text(f"# {name}: a throwaway image\n{containerfile}")
    return folder


def assert_no_image(runtime: Runtime, name: str) -> None:
    assert not runtime.image_exists(tag_of(name))
    assert runtime.list_images({IMAGE_LABEL: name}) == []


def test_ctrl_c_during_a_build(runtime: Runtime, image_name: str, tmp_path: Path) -> None:
    marker = f"lkt-run-{uuid.uuid4().hex}"
    folder = images_dir(tmp_path, image_name, f"FROM labkit/os\nRUN sleep 10 && echo {marker}\n")
    process = start_labkit(
        "images", "build", image_name, "--images-dir", str(folder), "--engine", runtime.name
    )
    try:
        wait_until("the build's RUN step runs", lambda: process_with(marker), process)
        code, _, err = interrupt(process)
    finally:
        stop(process)
    assert_clean_exit(code, err, 130, "interrupted")
    assert_no_image(runtime, image_name)  # labkit did not wait for the build to end
    # The engine drops a build whose client went away (Docker kills its RUN step at once;
    # Podman lets the step end, then commits nothing)...
    wait_until("the engine drops the build", lambda: not process_with(marker))
    # ...so nothing gets tagged.
    assert_no_image(runtime, image_name)


def test_a_build_failing_half_way(runtime: Runtime, image_name: str, tmp_path: Path) -> None:
    folder = images_dir(
        tmp_path, image_name, "FROM labkit/os\nRUN echo first > /first\nRUN echo half way; exit 3\n"
    )
    result = labkit("images", "build", image_name, "--images-dir", str(folder), "--engine", runtime.name)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{image_name} ({tag_of(image_name)}) failed at step 3/" in result.stderr
    assert "half way" in result.stderr
    assert_no_image(runtime, image_name)


def test_ctrl_c_during_a_library_build_abandons_it(
    runtime: Runtime, busybox_image: str, tmp_path: Path
) -> None:
    """In-process, the builder returns at once on Ctrl-C; the abandoned build runs to its end
    in the background and its image is removed again."""
    name = this_run.unique()
    namespace = f"labkit-test-{name}"
    run = "RUN for i in 1 2 3 4 5 6; do echo tick; sleep 0.5; done\n"
    folder = images_dir(tmp_path, name, f"FROM labkit/os\n{run}")
    base = Base("busybox:test", busybox_image, PackageManager.APT_GET, "busybox", "busybox")

    pressed = threading.Event()

    def press_ctrl_c(event: BuildEvent) -> None:
        if event.kind == "output" and event.message == "tick" and not pressed.is_set():
            pressed.set()
            # Ctrl-C, as the terminal sends it: SIGINT, here to the main thread (which waits).
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    builder = CourseBuilder(runtime, load_catalog(folder), base, namespace=namespace, on_event=press_ctrl_c)
    tag = f"{namespace}/{name}:busybox"
    try:
        with pytest.raises(KeyboardInterrupt):
            builder.build()
        assert not runtime.image_exists(tag)  # it did not wait for the build
        wait_until(
            "the abandoned build ends",
            lambda: not any(t.name == "labkit-build" for t in threading.enumerate()),
        )
        assert not runtime.image_exists(tag)
        assert runtime.list_images({IMAGE_LABEL: name}) == []
    finally:
        with suppress(ImageNotFound):
            runtime.remove_image(tag, force=True)
