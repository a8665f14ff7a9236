"""The CLI's root: version, help, and the error boundary's exit codes (run as a real process)."""

from __future__ import annotations

import subprocess
import sys


def run_labkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_version() -> None:
    result = run_labkit("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("labkit ")


def test_unknown_engine_is_one_line_and_exit_2() -> None:
    result = run_labkit("ps", "--engine", "bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "error: unknown engine 'bogus' in --engine: choose one of docker, podman\n"


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    result = run_labkit("doctor", "--bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "No such option: --bogus" in result.stderr


def test_version_does_not_import_engine_sdks() -> None:
    code = (
        "import sys\n"
        "from toolkit.cli.app import main, register_commands\n"
        "register_commands()\n"
        "print(sorted(m for m in ('docker', 'podman') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
