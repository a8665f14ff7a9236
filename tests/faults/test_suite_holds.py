"""Tests that need the course's Debian base make it rather than skip when a subset runs.

They used to skip unless an earlier test of the same run had bootstrapped debian:bookworm, so
`pytest tests/faults` alone skipped them silently.
"""

from __future__ import annotations

from pathlib import Path

from tests.inner import fixtures_of

NEED_THE_BASE = [
    "tests/faults/test_build_faults.py",
    "tests/engine/test_stack_course_images.py",
    "tests/engine/test_plugin_fixtures.py::test_image_is_built_or_reused_and_cached",
]


def test_each_test_needing_the_debian_base_asks_a_fixture_for_it(tmp_path: Path) -> None:
    found = fixtures_of(NEED_THE_BASE, tmp_path)
    building = {
        test: names
        for test, names in found.items()
        if "test_build_faults" not in test or "image_name" in names
    }
    assert len(building) >= 6, found  # each file's tests, on both engines
    missing = [test for test, names in building.items() if not {"debian_base", "debian"} & set(names)]
    assert missing == []
