"""`up` builds a missing course image (`labkit/<name>:<base tag>`) through the image builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.images.families import get_base
from toolkit.runtime.protocol import Runtime
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.operations import down
from toolkit.stack.orchestrator import up

from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

COMPOSE = """\
services:
  app:
    image: labkit/{name}:${{LABKIT_BASE:-debian-bookworm}}
    pull_policy: never
    init: true
    command: ["sleep", "3600"]
"""


def test_missing_course_image_is_built_for_the_stack(
    runtime: Runtime, debian_base: str, unique_name: str, tmp_path: Path
) -> None:
    base = get_base("debian:bookworm")
    assert runtime.image_exists(base.ref) and base.ref == debian_base
    name = unique_name  # a course image of its own, so no other test's image is touched
    image = tmp_path / "course" / "images" / name
    image.mkdir(parents=True)
    (image / "Containerfile").write_text("# a test image\nFROM labkit/os\nRUN echo built > /built\n")
    exercise = tmp_path / "course" / "compose" / "ex"
    exercise.mkdir(parents=True)
    (exercise / "compose.yaml").write_text(COMPOSE.format(name=name))
    tag = f"labkit/{name}:{base.tag}"
    try:
        result = up(runtime, load_stack(exercise / "compose.yaml"), project=unique_name)
        assert runtime.image_exists(tag)
        container = result.services[0].container
        assert runtime.exec(container, ["cat", "/built"]).stdout == "built\n"
    finally:
        down(runtime, unique_name)
        if runtime.image_exists(tag):
            runtime.remove_image(tag, force=True)
    assert leftovers(runtime, unique_name) == []
