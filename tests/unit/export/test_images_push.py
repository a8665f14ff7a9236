"""`labkit images push`: which references go where, and nothing pushed when one is missing."""

from __future__ import annotations

import pytest

from toolkit.errors import UsageError
from toolkit.images.push import push_course_images
from toolkit.images.registry import check_registry
from toolkit.runtime.fake import FakeRuntime


def test_course_images_go_under_the_registry_with_their_own_names() -> None:
    runtime = FakeRuntime("podman")
    for name in ("base", "web"):
        runtime.add_image(f"labkit/{name}:debian-bookworm")
    pushed = push_course_images(
        runtime, ["base", "web"], "debian:bookworm", "registry.lab:5000", insecure=True
    )
    assert [p.destination for p in pushed] == [
        "registry.lab:5000/labkit/base:debian-bookworm",
        "registry.lab:5000/labkit/web:debian-bookworm",
    ]
    assert set(runtime.pushed) == {p.destination for p in pushed}


def test_a_missing_image_stops_before_any_push() -> None:
    runtime = FakeRuntime()
    runtime.add_image("labkit/base:debian-bookworm")
    with pytest.raises(UsageError, match=r"not built on docker: labkit/web:debian-bookworm; build first"):
        push_course_images(runtime, ["base", "web"], "debian:bookworm", "registry.lab:5000")
    assert runtime.pushed == {}


@pytest.mark.parametrize("good", ["registry.lab", "localhost:5000", "10.0.0.5:5000/course", "registry.lab/"])
def test_registry_names_are_host_and_port(good: str) -> None:
    assert check_registry(good) == good.rstrip("/")


@pytest.mark.parametrize("bad", ["http://registry.lab", "registry.lab:port", "-lab", "a b"])
def test_other_registry_names_are_refused_in_one_line(bad: str) -> None:
    with pytest.raises(UsageError, match="HOST\\[:PORT\\]"):
        check_registry(bad)
