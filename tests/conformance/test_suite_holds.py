"""A CI conformance run cannot pass without its corpus (it used to compare 7 files and pass)."""

from __future__ import annotations

from pathlib import Path

from tests.inner import run_pytest


def test_ci_fails_when_the_corpus_is_missing(tmp_path: Path) -> None:
    nowhere = tmp_path / "no-corpus"
    args = ["--noconftest", "tests/conformance/test_corpus.py", "-k", "corpus_was_found"]
    result = run_pytest(args, env={"CI": "true", "LABKIT_COMPOSE_CORPUS": str(nowhere)})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"no Compose corpus at {nowhere}" in output and "CI=true: this must run" in output
    # Locally the same run skips, saying why.
    result = run_pytest(["-rs", *args], env={"LABKIT_COMPOSE_CORPUS": str(nowhere)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"no Compose corpus at {nowhere}" in output and "1 skipped" in output
