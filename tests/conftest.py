"""Suite-wide rules: the run ends by proving that nothing labelled io.labkit.* is left."""

from __future__ import annotations

import shutil
import subprocess

import pytest

LABEL_PREFIX = "io.labkit."

_LISTINGS = {
    "containers": ["ps", "-a", "--format", "{{.Names}} {{.Labels}}"],
    "networks": ["network", "ls", "--format", "{{.Name}} {{.Labels}}"],
    "volumes": ["volume", "ls", "--format", "{{.Name}} {{.Labels}}"],
}


def labkit_leftovers() -> list[str]:
    """Every container, network and volume on either engine that carries an io.labkit.* label."""
    found: list[str] = []
    for engine in ("docker", "podman"):
        if shutil.which(engine) is None:
            continue
        for kind, argv in _LISTINGS.items():
            try:
                result = subprocess.run(
                    [engine, *argv], capture_output=True, text=True, timeout=30, check=False
                )
            except subprocess.TimeoutExpired:
                continue
            if result.returncode != 0:
                continue  # this engine does not answer: engine tests said so already
            for line in result.stdout.splitlines():
                if LABEL_PREFIX in line:
                    found.append(f"{engine} {kind}: {line.split()[0]}")
    return found


_present_at_start: set[str] = set()


def pytest_sessionstart(session: pytest.Session) -> None:
    # What was there before the run (a stack a user has up, say) is not the run's to answer for.
    _present_at_start.update(labkit_leftovers())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if getattr(session.config, "workerinput", None) is not None:
        return  # only the controlling process checks, once every worker is done
    remaining = labkit_leftovers()
    leftovers = [item for item in remaining if item not in _present_at_start]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and _present_at_start:
        reporter.write_sep("=", "labkit resources that were there before the run", yellow=True)
        for line in sorted(_present_at_start):
            reporter.write_line(line)
    if leftovers:
        if reporter is not None:
            reporter.write_sep("=", "LEFTOVERS", red=True)
            reporter.write_line("labkit resources left behind by the test run:")
            for line in leftovers:
                reporter.write_line(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
