"""The README's minimal exercise works as written, on each engine; validate warns about a
service whose command exits at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime

from .test_stack_cli import labkit
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- minimal-exercise -->"


def readme_exercise() -> str:
    """The YAML block right after the marker in README.md."""
    text = README.read_text()
    after = text[text.index(MARKER) + len(MARKER) :].lstrip("\n")
    assert after.startswith("```yaml\n"), "the marker must sit right above a ```yaml block"
    return after[len("```yaml\n") : after.index("\n```")] + "\n"


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "hello"
    folder.mkdir()
    (folder / "compose.yaml").write_text(text)
    return folder


def test_the_readme_exercise_validates_without_warnings_and_runs(
    runtime: Runtime, tmp_path: Path, unique_name: str
) -> None:
    folder = _write(tmp_path, readme_exercise())
    valid = labkit("validate", str(folder))
    assert (valid.returncode, valid.stderr) == (0, "")
    engine = ("--engine", runtime.name)
    try:
        up = labkit("up", str(folder), "-p", unique_name, "--renumber", *engine)
        assert up.returncode == 0, up.stderr
        before = labkit("check", str(folder), "-p", unique_name, *engine)
        assert before.returncode == 1, before.stdout + before.stderr
        assert "1 passed, 1 failed" in before.stdout  # the LAN works; the task is not done
        solved = labkit("solve", str(folder), "-p", unique_name, *engine)
        assert solved.returncode == 0, solved.stdout + solved.stderr
        after = labkit("check", str(folder), "-p", unique_name, *engine)
        assert after.returncode == 0, after.stdout + after.stderr
    finally:
        labkit("down", "-p", unique_name, *engine)
    assert leftovers(runtime, unique_name) == []


def test_validate_warns_about_a_service_whose_command_exits_at_once(tmp_path: Path) -> None:
    text = readme_exercise().replace('  command: ["sleep", "infinity"]', "  # no command")
    folder = _write(tmp_path, text)
    line = next(n for n, written in enumerate(text.splitlines(), 1) if written == "  host1:")
    valid = labkit("validate", str(folder))
    assert valid.returncode == 0
    warnings = valid.stderr.splitlines()
    assert len(warnings) == 2  # host1 and host2, one line each
    assert warnings[0].startswith(
        f"warning: {folder / 'compose.yaml'}:{line}: service 'host1' runs `bash`, which exits at once"
    )
