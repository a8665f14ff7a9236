"""Suite-wide rules, for one process or a pytest-xdist run alike:

- the run has a token (tests/this_run.py) that names what its tests create;
- each engine test is tagged with its engine, for the summary's counts per engine; under
  pytest-xdist (`--dist loadgroup`) each engine's tests run in one worker, side by side
  (tests/scheduling.py);
- the run ends proving that nothing it created is left: no container, network or volume
  labelled io.labkit.* and no image carrying its token or its plugin run labels. Under CI a
  resource the plugin's final sweep had to remove (a fixture's leak) fails too, and so does an
  engine the check cannot list;
- under CI a skip fails the run unless it is a known host limit or a skip by design
  (tests/outcomes.py): a skip written without the CI rule in mind cannot keep CI green;
- a closing summary: engines tested, tests per engine, skips grouped by reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import leftovers, summary, this_run
from tests.outcomes import CI_ALLOWED, in_ci
from toolkit.testing.plugin import run_outcomes

TOKEN_KEY = "labkit_suite_token"
ENGINE_PARAMETERS = ("runtime", "lab_engine")  # the fixtures that run a test on one engine
_START = pytest.StashKey[leftovers.Survey]()
_OTHERS = pytest.StashKey[str]()  # a line for the summary


def _worker(config: pytest.Config) -> bool:
    return getattr(config, "workerinput", None) is not None


def pytest_configure(config: pytest.Config) -> None:
    workerinput = getattr(config, "workerinput", None)
    this_run.start(workerinput.get(TOKEN_KEY) if workerinput else None)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker names things with the controlling process's token."""
    node.workerinput[TOKEN_KEY] = this_run.token()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        engine = next((params.params[p] for p in ENGINE_PARAMETERS if params and p in params.params), None)
        if engine is not None:
            item.user_properties.append((summary.ENGINE_PROPERTY, str(engine)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist with `--dist loadgroup`: one worker per engine, modules kept together."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.scheduling import EngineScheduling

    return EngineScheduling(config, log)


def pytest_report_header(config: pytest.Config) -> str:
    return f"labkit suite: run token {this_run.token()} (in the name of everything the tests create)"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _worker(session.config):
        session.config.stash[_START] = leftovers.survey()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _worker(config) or _START not in config.stash:
        return  # only the controlling process checks, once every worker is done
    start, end = config.stash[_START], leftovers.survey()
    outcomes = run_outcomes(config)
    run_ids = [outcome.run_id for outcome in outcomes]
    left = sorted(key for key, line in end.lines.items() if this_run.mentions(line, run_ids))
    swept = sorted(resource for outcome in outcomes for resource in outcome.swept)
    others = sorted(
        key for key in end.lines.keys() - start.lines.keys() if key not in left and " image: " not in key
    )
    before = [key for key in start.lines if " image: " not in key]
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")

    def section(title: str, items: list[str], **markup: bool) -> None:
        if reporter is not None and items:
            reporter.write_sep("=", title, **markup)
            for item in items:
                reporter.write_line(item)

    strict = in_ci()
    skipped = _skips_ci_does_not_allow(reporter) if strict else []
    section("SKIPPED UNDER CI: only a host limit may skip here", skipped, red=True)
    section("LEFTOVERS: left behind by this run's tests", left, red=True)
    section(
        "LEAKS: removed by the final sweep, not by the tests' own teardown",
        swept,
        red=strict,
        yellow=not strict,
    )
    section("the leftover check could not look", end.errors, red=strict, yellow=not strict)
    if before or others:
        config.stash[_OTHERS] = (
            f"labkit resources of other runs, not this one's: {len(before)} there before it, "
            f"{len(others)} appeared meanwhile"
        )
    if left or (strict and (swept or end.errors or skipped)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _skips_ci_does_not_allow(reporter: Any) -> list[str]:
    stats = getattr(reporter, "stats", {}) if reporter is not None else {}
    return [
        f"{report.nodeid}: {summary.skip_reason(report)}"
        for report in stats.get("skipped", ())
        if summary.skip_group(summary.skip_reason(report)) not in CI_ALLOWED
    ]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _worker(config):
        return
    terminalreporter.write_sep("=", "labkit suite")
    for line in summary.lines(terminalreporter.stats):
        terminalreporter.write_line(line)
    if _OTHERS in config.stash:
        terminalreporter.write_line(config.stash[_OTHERS])
