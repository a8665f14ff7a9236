"""Health probes on Docker, run on demand, and what labkit remembers of the ones that passed.

Docker's first probe comes a full interval after start (and API 1.41 has no start_interval),
so labkit runs the container's healthcheck itself through exec, as it must on Podman. Docker
keeps no record of such a probe, so the adapter does: within one interval of a passed probe a
container counts as healthy, as it would after a probe of Docker's own, and an inspection in
that time needs no second probe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from toolkit.errors import ExecTimeout
from toolkit.runtime.specs import ExecResult, HealthcheckSpec, HealthProbe

Exec = Callable[[str, Sequence[str], float], ExecResult]


class Probes:
    """Run probes through `exec` and remember when each container's last one passed."""

    def __init__(self, exec_probe: Exec) -> None:
        self._exec = exec_probe
        self._passed: dict[str, float] = {}  # container id -> time.monotonic() of the pass
        self._lock = threading.Lock()

    def run(self, container_id: str, spec: HealthcheckSpec) -> HealthProbe:
        """Run the healthcheck once, now; a probe past its timeout fails with exit code -1."""
        try:
            result = self._exec(container_id, spec.argv(), spec.timeout)
        except ExecTimeout as exc:
            # Docker counts a probe that times out as failed with exit code -1.
            self._forget(container_id)
            return HealthProbe(False, -1, f"healthcheck timed out after {spec.timeout:g} s\n{exc.output}")
        with self._lock:
            if result.ok:
                self._passed[container_id] = time.monotonic()
            else:
                self._passed.pop(container_id, None)
        return HealthProbe(result.ok, result.exit_code, result.stdout + result.stderr)

    def passed_within(self, container_id: str, interval: float) -> bool:
        """Whether a probe of this container passed less than `interval` seconds ago."""
        with self._lock:
            passed = self._passed.get(container_id)
        return passed is not None and time.monotonic() - passed < interval

    def _forget(self, container_id: str) -> None:
        with self._lock:
            self._passed.pop(container_id, None)
