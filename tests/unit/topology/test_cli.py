"""`labkit graph` and `labkit handout` as a user runs them, without an engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COURSE = Path(__file__).resolve().parents[3]
NO_ENGINE = {"LABKIT_ENGINE": "docker", "DOCKER_HOST": "unix:///nonexistent.sock"}


def labkit(
    *args: str, cwd: Path = COURSE, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env={**os.environ, **NO_ENGINE, **(env or {})},
    )


def test_mermaid_goes_to_stdout_and_nothing_asks_an_engine() -> None:
    result = labkit("graph", "routing", "-f", "mermaid")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n") and '"eth1 10.30.2.254"' in result.stdout


def test_bad_outputs_are_refused_in_one_line_with_exit_2(tmp_path: Path) -> None:
    for args, words in (
        (("graph", "routing", "-o", str(tmp_path / "x.txt")), "cannot tell the format of x.txt"),
        (("graph", "routing", "-f", "pdf"), "unknown --format 'pdf'"),
        (("handout", "routing", "-o", str(tmp_path / "x.pdf")), "name it FILE.html or FILE.md"),
        (("graph", "routing", "-o", str(tmp_path / "no" / "x.svg")), "cannot write"),
        (("graph", "nosuch"), "unknown exercise 'nosuch'"),
    ):
        result = labkit(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_markdown_handout_is_written_without_graphviz(tmp_path: Path) -> None:
    page = tmp_path / "routing.md"
    result = labkit("handout", "routing", "-o", str(page), env={"PATH": "/nonexistent"})
    assert result.returncode == 0, result.stderr
    assert "```mermaid" in page.read_text() and "wrote" in result.stdout
    html = labkit("handout", "routing", "-o", str(tmp_path / "routing.html"), env={"PATH": "/nonexistent"})
    assert html.returncode == 1 and "write Markdown (-o FILE.md)" in html.stderr
    assert not (tmp_path / "routing.html").exists()
