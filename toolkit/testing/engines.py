"""Which engines a test runs on: `--lab-engine`, a `lab_engines` marker, or the default.

The default is what the CLI would pick (LABKIT_ENGINE, then the first engine that answers);
`all` means every engine that answers, and with CI=true every engine labkit supports, answering
or not. An engine asked for that does not answer skips its tests, or fails them when CI=true:
CI must prove what it claims to test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from toolkit.errors import EngineUnavailable, UsageError
from toolkit.runtime.select import EngineChoice, available_engines, parse_engine_name, resolve_engine
from toolkit.runtime.specs import ENGINE_NAMES

ALL = "all"
NO_ENGINE = "no-engine"  # the one parameter when nothing answers: its tests skip or fail


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def parse_request(values: Sequence[str], where: str) -> list[str]:
    """Engine names and `all` from an option or a marker ("docker,podman" works too)."""
    names: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part == ALL:
                names.append(ALL)
            else:
                names.append(parse_engine_name(part, where))
    if not names:
        raise UsageError(f"no engine named in {where}: choose from {', '.join((*ENGINE_NAMES, ALL))}")
    return list(dict.fromkeys(names))


def engines_for(
    requested: Sequence[str] | None,
    *,
    answering: Callable[[], list[EngineChoice]] = available_engines,
    default: Callable[[], EngineChoice] = lambda: resolve_engine(None),
    ci: bool | None = None,
) -> list[str]:
    """The engine names to parametrize a test with.

    Args:
        requested: parsed names (see parse_request), or None for the default engine.
        ci: whether this is a CI run (default: from CI); there `all` names every engine, so
            one that does not answer fails its tests instead of having none.
    """
    ci = in_ci() if ci is None else ci
    if requested is None:
        try:
            return [default().name]
        except EngineUnavailable:
            return [NO_ENGINE]
    names: list[str] = []
    for name in requested:
        if name == ALL:
            names += list(ENGINE_NAMES) if ci else [choice.name for choice in answering()]
        else:
            names.append(name)
    names = list(dict.fromkeys(names))
    return names or [NO_ENGINE]
