"""A service's `healthcheck`, with Compose's defaults filled in."""

from __future__ import annotations

from toolkit.runtime.specs import HealthcheckSpec
from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    boolean,
    checked,
    duration,
    integer,
    items,
    string,
)
from toolkit.stack.compose.keys import HEALTHCHECK
from toolkit.stack.compose.yaml_source import Scalar, SeqNode

_KINDS = ("CMD", "CMD-SHELL", "NONE")
_DISABLED = HealthcheckSpec(test=("NONE",))


def read_healthcheck(at: At) -> HealthcheckSpec:
    """Read `healthcheck`: `test` as a string (run by a shell) or a CMD/CMD-SHELL/NONE list."""
    fields = checked(at, HEALTHCHECK)
    disabled = boolean(fields["disable"]) if "disable" in fields else False
    if disabled:
        if "test" in fields and _test(fields["test"]) != ("NONE",):
            fields["disable"].fail("'disable: true' cannot be combined with a 'test'")
        return _DISABLED
    if "test" not in fields:
        at.fail(
            "a healthcheck without 'test': "
            f"{UNSUPPORTED} changing only the timing of the image's own healthcheck"
        )
    test = _test(fields["test"])
    if test == ("NONE",):
        return _DISABLED
    timing = {
        name: _period(fields[name]) for name in ("interval", "timeout", "start_interval") if name in fields
    }
    return HealthcheckSpec(
        test=test,
        interval=timing.get("interval", 30.0),
        timeout=timing.get("timeout", 30.0),
        retries=integer(fields["retries"], minimum=0) if "retries" in fields else 3,
        start_period=duration(fields["start_period"]) if "start_period" in fields else 0.0,
        start_interval=timing.get("start_interval", 5.0),
    )


def _test(at: At) -> tuple[str, ...]:
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        if not at.node.value.strip():
            at.fail("the healthcheck test is an empty command")
        return ("CMD-SHELL", at.node.value)
    if not isinstance(at.node, SeqNode):
        at.expected("a string or a list such as [CMD, arg, ...]")
    words = tuple(string(item) for item in items(at))
    if not words or words[0] not in _KINDS:
        at.fail(f"a healthcheck test list must start with CMD, CMD-SHELL or NONE, found {list(words[:1])}")
    if words[0] == "NONE":
        return ("NONE",)
    if len(words) == 1 or not "".join(words[1:]).strip():
        at.fail(f"the healthcheck test {words[0]} has an empty command")
    return words


def _period(at: At) -> float:
    seconds = duration(at)
    if seconds < 0.001:
        at.fail(f"must be at least 1ms, found {string(at)!r}")
    return seconds
