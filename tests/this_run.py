"""This run of the suite: a short token in the name of everything its tests create.

Other runs (another checkout's suite, a class on the same host) use the same engines at the
same time. The leftover check at the end judges only what carries this run's token or the
plugin's run labels of this run, so one run never answers for another's resources. Under
pytest-xdist the controlling process makes the token and hands it to its workers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

_token: list[str] = []


def start(token: str | None = None) -> str:
    """Set this process's token: the one given (a worker's, from its controller) or a new one."""
    _token[:] = [token or uuid.uuid4().hex[:6]]
    return _token[0]


def token() -> str:
    if not _token:
        start()  # imported outside a pytest run (a script, a REPL): a token of its own
    return _token[0]


def unique(stem: str = "lkt") -> str:
    """A name no other test, of this run or another, uses: `<stem>-<token>-<random>`."""
    return f"{stem}-{token()}-{uuid.uuid4().hex[:6]}"


def mentions(text: str, run_ids: Iterable[str] = ()) -> bool:
    """Whether a listing line names this run: its token as a word, or one of its run ids."""
    words = [token(), *run_ids]
    return any(re.search(rf"(?<![0-9a-f]){re.escape(word)}(?![0-9a-f])", text) for word in words)
