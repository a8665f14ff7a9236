"""`labkit images ...` on the in-memory engine: output, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from toolkit.cli import context
from toolkit.cli.images import app
from toolkit.errors import BuildFailed, UsageError
from toolkit.images import load_catalog, render_containerfile
from toolkit.images.families import BASES
from toolkit.runtime.fake import FakeRuntime

from .helpers import write_course

runner = CliRunner()


def labkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    fake = FakeRuntime()
    fake.add_image(BASES["debian:bookworm"].ref)
    monkeypatch.setattr(context, "open_engine", lambda flag: fake)
    return fake


def test_render_prints_the_containerfile_for_a_base() -> None:
    result = runner.invoke(app, ["render", "netlab", "--base", "rocky:9"])
    assert result.exit_code == 0, result.output
    course = load_catalog()
    assert result.stdout == render_containerfile(course.get("netlab"), BASES["rocky:9"])


def test_usage_errors_are_one_line_and_exit_2() -> None:
    result = labkit("images", "build")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: name the images to build, or pass --all"
    result = labkit("images", "render", "nope")
    assert result.returncode == 2
    assert "choose one of base, db, dns, netlab, web" in result.stderr
    result = labkit("images", "render", "web", "--base", "arch:1")
    assert result.returncode == 2 and "debian:bookworm" in result.stderr


def test_build_json_then_list_json(tmp_path: Path, engine: FakeRuntime) -> None:
    folder = write_course(tmp_path)
    result = runner.invoke(app, ["build", "--all", "--json", "--images-dir", str(folder)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["image"], r["status"], r["tag"]) for r in rows] == [
        ("a", "built", "labkit/a:debian-bookworm"),
        ("c", "built", "labkit/c:debian-bookworm"),
        ("b", "built", "labkit/b:debian-bookworm"),
    ]
    again = json.loads(runner.invoke(app, ["build", "b", "--json", "--images-dir", str(folder)]).stdout)
    assert [(r["image"], r["status"], r["reason"]) for r in again] == [
        ("a", "skipped", "up to date"),
        ("b", "skipped", "up to date"),
    ]
    listing = json.loads(runner.invoke(app, ["list", "--json", "--images-dir", str(folder)]).stdout)
    assert {s["name"]: [(t["tag"], t["up_to_date"]) for t in s["tags"]] for s in listing} == {
        "a": [("labkit/a:debian-bookworm", True)],
        "b": [("labkit/b:debian-bookworm", True)],
        "c": [("labkit/c:debian-bookworm", True)],
    }
    assert listing[0]["families"] == ["apt", "dnf"]


def test_a_failed_build_shows_its_step_and_exits_1(tmp_path: Path, engine: FakeRuntime) -> None:
    folder = write_course(tmp_path)
    engine.build_failures["labkit/a:debian-bookworm"] = BuildFailed(
        "boom", step="4/4 RUN cat /etc/motd", log_tail=("cat: /etc/motd: no such file",)
    )
    result = runner.invoke(app, ["build", "--all", "--images-dir", str(folder)])
    assert result.exit_code == 1
    assert "a (labkit/a:debian-bookworm) failed at step 4/4 RUN cat /etc/motd" in result.stderr
    assert "cat: /etc/motd: no such file" in result.stderr
    summary = result.stdout
    assert "skipped: base failed" in summary and "failed" in summary and "built" in summary


def test_quiet_prints_nothing_on_success(tmp_path: Path, engine: FakeRuntime) -> None:
    folder = write_course(tmp_path)
    result = runner.invoke(app, ["build", "c", "-q", "--images-dir", str(folder)])
    assert result.exit_code == 0 and result.stdout == ""


def test_names_and_all_together_are_refused(tmp_path: Path, engine: FakeRuntime) -> None:
    result = runner.invoke(app, ["build", "a", "--all", "--images-dir", str(write_course(tmp_path))])
    assert isinstance(result.exception, UsageError)
