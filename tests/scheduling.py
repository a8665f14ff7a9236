"""How pytest-xdist shares the suite out: each engine's tests in one worker, modules whole.

An engine's tests share session fixtures (the busybox image, the Debian base, the course built
once) and run one after another on that engine, while the other engine's run in another worker:
two slow suites side by side instead of end to end. Engine-free tests are kept together by
module, so a module-scoped fixture (the bad-input suite's 121 CLI runs) is made once.

pytest-xdist's own `xdist_group` marker does not group here (pytest 9 ignores the node id it
rewrites), so the scheduler reads the engine from the test id: the engine fixtures' parameter
ids are the engine names themselves (`test_x[docker]`, `test_y[podman-web]`). A test another
parameter of which happens to be called `docker` would only be scheduled with Docker's tests.
"""

from __future__ import annotations

import re

from xdist.scheduler import LoadGroupScheduling

# The fake's flavours (`fake-docker`) run in memory: they are scheduled as engine-free tests.
ENGINE_ID = re.compile(r"\[(?:[^\]]*-)?(?<!fake-)(docker|podman)(?:-[^\]]*)?\]$")


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its engine, else its module."""
    found = ENGINE_ID.search(nodeid)
    if found:
        return found.group(1)
    return nodeid.split("::", 1)[0]


class EngineScheduling(LoadGroupScheduling):  # type: ignore[misc]
    """LoadGroupScheduling whose groups are the engines, and modules for the rest."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)
