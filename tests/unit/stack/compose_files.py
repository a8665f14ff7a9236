"""Compose files for the loader's unit tests: one service `a` whose keys the test writes."""

from __future__ import annotations

from pathlib import Path


def one_service_file(tmp_path: Path, body: str, tail: str = "", **files: str) -> Path:
    """Write `compose.yaml` with service `a` whose keys are `body` (indented here), then `tail`
    (top-level parts); `files` are written beside it first (path -> content)."""
    for name, content in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    lines = "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  a:\n" + lines + tail)
    return compose
