"""Small things a new user meets first: help text, usage errors, progress, wrapping, plurals."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.runtime.protocol import Runtime

from .test_stack_cli import labkit, write_compose
from .test_stack_fixtures import leftovers

pytestmark = pytest.mark.engine

WIDE = {"COLUMNS": "100"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(*args: str, columns: int = 80) -> str:
    """Run labkit under a pseudo-terminal of `columns` columns (util-linux `script`); its
    output, stdout and stderr together, as the terminal showed them."""
    command = shlex.join([sys.executable, "-c", "from toolkit.cli.app import main; main()", *args])
    done = subprocess.run(
        ["script", "-qec", f"stty cols {columns} rows 50; {command}", "/dev/null"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}, "TERM": "xterm"},
    )
    return ANSI.sub("", done.stdout.replace("\r\n", "\n"))


def test_help_names_arguments_in_capitals_and_gives_flags_no_type() -> None:
    up = labkit("up", "--help", env=WIDE)
    usage = up.stdout.splitlines()[1].split()
    assert usage[2:] == ["up", "[OPTIONS]", "EXERCISE"]  # (the program is `-c` under python -c)
    assert "<bool>" not in up.stdout and "{exercise}" not in up.stdout
    save = labkit("images", "save", "--help", env=WIDE)
    assert "see --all" not in save.stdout
    assert "Course images (default: every one)." in save.stdout


def test_exec_says_to_put_double_dash_before_the_command() -> None:
    done = labkit("exec", "firewall", "web", "sh", "-c", "nft list ruleset")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: No such option: -c; to pass options to the command, put -- before it: "
        "labkit exec EXERCISE SERVICE -- sh -c '...'\n"
    )


def test_exec_without_a_service_lists_the_exercises_services() -> None:
    done = labkit("exec", "routing")
    assert (done.returncode, done.stderr) == (
        2,
        "error: Missing argument 'service'; choose one of: router, host1, host2\n",
    )


def test_up_shows_progress_on_a_terminal_only_and_counts_in_words(
    runtime: Runtime, tmp_path: Path, busybox_image: str, unique_name: str
) -> None:
    compose = write_compose(tmp_path, busybox_image)
    engine = ("--engine", runtime.name)
    try:
        shown = on_a_terminal("up", str(compose), "-p", unique_name, *engine)
        for line in ("  db: created", "  db: started", "  db: healthy", "  web: started"):
            assert line in shown.splitlines(), shown
        labkit("down", "-p", unique_name, *engine)
        piped = labkit("up", str(compose), "-p", unique_name, *engine)
        assert (piped.returncode, piped.stderr) == (0, "")  # quiet when piped
        assert piped.stdout.startswith(f"project {unique_name} on {runtime.name}: 2 services started\n")
    finally:
        down = labkit("down", "-p", unique_name, *engine)
    assert down.stdout == f"project {unique_name}: removed 2 containers, 2 networks\n"
    assert leftovers(runtime, unique_name) == []


def test_describe_wraps_between_words_on_a_terminal() -> None:
    shown = on_a_terminal("describe", "firewall", columns=60)
    text = shown.splitlines()
    assert all(len(line) <= 60 for line in text), shown
    # The description is reflowed: no word is split at the edge.
    words = " ".join(text).split()
    assert "nftables" in words and "loopback." in words
