"""`labkit class` and `--student` refuse bad input with one line and exit 2, before any engine."""

from __future__ import annotations

import os
from pathlib import Path

from tests.unit.test_cli_root import run_labkit

ROOT = Path(__file__).resolve().parents[3]
# An engine socket that cannot answer: reaching the engine would fail with exit 3, not 2.
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "LABKIT_ENGINE": "docker"}


def env(**more: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_COURSE_SECRET")}
    return {**base, "LABKIT_COURSE": str(ROOT), "HOME": "/nonexistent", **NO_ENGINE, **more}


def test_a_bad_roster_line_is_named_before_any_engine(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1,Ada\ns 2,Alan\n")
    result = run_labkit(
        "class", "up", "routing", "--roster", str(roster), env=env(LABKIT_COURSE_SECRET="x" * 20)
    )
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr.strip()
        == f"error: {roster}:3: invalid student id 's 2': use up to 40 letters, digits, "
        "'.', '_' and '-', starting with a letter or digit"
    )


def test_a_student_without_a_course_secret_is_told_how_to_make_one() -> None:
    result = run_labkit("describe", "routing", "--student", "s1", env=env())
    assert result.returncode == 2
    assert "no course secret: run `labkit class secret`" in result.stderr
    assert "Traceback" not in result.stderr
