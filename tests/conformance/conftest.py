"""Print the conformance outcome counts at the end of the run."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.conformance.test_corpus import OUTCOMES, REFUSED_KEYS

    if not OUTCOMES:
        return
    order = ("accepted equal", "refused with reason", "both rejected", "mismatch")
    terminalreporter.write_sep("=", "Compose conformance")
    terminalreporter.write_line(", ".join(f"{name}: {OUTCOMES[name]}" for name in order))
    if REFUSED_KEYS:
        refused = ", ".join(f"{key} {count}" for key, count in REFUSED_KEYS.most_common())
        terminalreporter.write_line(f"refused, by key: {refused}")
