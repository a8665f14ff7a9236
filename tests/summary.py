"""The run's closing summary: engines tested, tests per engine, skips grouped by reason.

Every engine test carries its engine as a user property (set at collection), so the counts hold
under pytest-xdist, where reports reach the controlling process without their items.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tests.outcomes import HOST_LIMITS, NEEDS_ENGINE, skip_group

ENGINE_PROPERTY = "labkit_engine"
NO_ENGINE = "no engine"
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def engine_of(report: Any) -> str:
    return str(dict(report.user_properties).get(ENGINE_PROPERTY, NO_ENGINE))


def skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _test_reports(stats: Mapping[str, Sequence[Any]], outcome: str) -> Iterable[Any]:
    return (report for report in stats.get(outcome, ()) if getattr(report, "when", None) is not None)


def per_engine(stats: Mapping[str, Sequence[Any]]) -> dict[str, Counter[str]]:
    """engine -> outcome -> count, as pytest's own closing line counts them."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in OUTCOMES:
        for report in _test_reports(stats, outcome):
            counts[engine_of(report)][outcome] += 1
    return dict(counts)


def skip_groups(stats: Mapping[str, Sequence[Any]]) -> dict[str, Counter[str]]:
    """skip group -> engine -> count, the largest group first."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for report in _test_reports(stats, "skipped"):
        groups[skip_group(skip_reason(report))][engine_of(report)] += 1
    return dict(sorted(groups.items(), key=lambda item: -sum(item[1].values())))


def engines_tested(counts: Mapping[str, Counter[str]]) -> list[str]:
    """Real engines with a passing test (the in-memory fake's flavours are not engines)."""
    return sorted(
        engine
        for engine, outcome in counts.items()
        if engine != NO_ENGINE and not engine.startswith("fake-") and outcome["passed"]
    )


def _outcomes(counter: Counter[str]) -> str:
    return ", ".join(f"{counter[name]} {name}" for name in OUTCOMES if counter[name])


def lines(stats: Mapping[str, Sequence[Any]]) -> list[str]:
    """The summary, a line per fact."""
    counts = per_engine(stats)
    tested = engines_tested(counts)
    order = sorted(counts, key=lambda engine: (engine == NO_ENGINE, engine))
    tests = "; ".join(
        f"{engine}: {sum(counts[engine].values())} tests ({_outcomes(counts[engine])})" for engine in order
    )
    out = [f"engines tested: {', '.join(tested) or 'none'}", tests or "no tests ran"]
    groups = skip_groups(stats)
    if groups:
        out.append(f"skipped {sum(sum(g.values()) for g in groups.values())}, by reason:")
        for group, engines in groups.items():
            where = ", ".join(f"{engine} {count}" for engine, count in sorted(engines.items()))
            limit = " (a limit of this host)" if group in HOST_LIMITS else ""
            limit = " (by design)" if group == NEEDS_ENGINE else limit
            out.append(f"  {sum(engines.values()):>4}  {group}{limit} [{where}]")
    return out
