"""Service keys the engine carries out as written: `logging`, `security_opt`, `runtime`, and the
restart policy (`restart`, or `deploy.restart_policy`, with a retry count).

The loader checks their form. Whether the engine at hand has the log driver or the runtime
named is known only there: `stack/engine_fit.py` asks before `up` creates anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from toolkit.runtime.security import option_problem
from toolkit.runtime.specs import LoggingSpec, RestartPolicy
from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    checked,
    entries,
    integer,
    items,
    nonempty_string,
    scalar_string,
    string,
    string_list,
)
from toolkit.stack.compose.keys import DEPLOY, LOGGING, RESTART_POLICY

_LOG_SIZE = re.compile(r"[0-9]+\s*[kmgKMG]?[bB]?")
_RESTART = ("no", "always", "on-failure", "unless-stopped")
# deploy.restart_policy's conditions -> the container's restart policy, as Compose maps them.
_CONDITIONS: dict[str, RestartPolicy] = {"none": "no", "on-failure": "on-failure", "any": "always"}


@dataclass(frozen=True)
class Restart:
    policy: RestartPolicy = "no"
    retries: int | None = None  # on-failure only: at most this many restarts


def read_logging(at: At) -> LoggingSpec:
    """`logging: {driver, options}`; option values are text, as the engines take them."""
    fields = checked(at, LOGGING, allow_null=True)
    driver = nonempty_string(fields["driver"]) if "driver" in fields else None
    options: dict[str, str] = {}
    if "options" in fields:
        for name, value in entries(fields["options"], allow_null=True).items():
            if not value.is_null:
                options[name] = scalar_string(value)
                _check_option(value, name, options[name])
    return LoggingSpec(driver, options)


def _check_option(at: At, name: str, value: str) -> None:
    """The rotation options both engines read, in Docker's own syntax."""
    if name == "max-size" and not _LOG_SIZE.fullmatch(value):
        at.fail(f"max-size {value!r}: expected a size such as 10m (a number with k, m or g)")
    if name == "max-file" and not (value.isdigit() and int(value) > 0):
        at.fail(f"max-file {value!r}: expected a number of files, at least 1")


def read_security_opt(at: At) -> tuple[str, ...]:
    """`security_opt`: the items both engines can honour, kept as written."""
    for item in items(at):
        problem = option_problem(string(item))
        if problem:
            item.fail(f"security_opt {string(item)!r}: {UNSUPPORTED} it: {problem}")
    return string_list(at)


def read_runtime(at: At) -> str:
    return nonempty_string(at)


def read_restart(fields: Mapping[str, At]) -> Restart:
    """`restart` ("on-failure:N" sets a retry count), else `deploy.restart_policy`.

    `deploy.replicas` is read here too: labkit runs one container per service.
    """
    if "restart" in fields:
        at = fields["restart"]
        policy = string(at)
        name, colon, count = policy.partition(":")
        if name == "on-failure" and colon:
            if not count.isdigit():
                at.fail(f"restart {policy!r}: expected on-failure:N with N a number of retries")
            return Restart("on-failure", int(count))
        if policy not in _RESTART:
            at.fail(f"unknown restart policy {policy!r}: expected one of {', '.join(_RESTART)}")
        return Restart(cast(RestartPolicy, policy))
    deploy = checked(fields["deploy"], DEPLOY, allow_null=True) if "deploy" in fields else {}
    if "replicas" in deploy:
        _replicas(deploy["replicas"])
    if "restart_policy" not in deploy:
        return Restart()
    rule = checked(deploy["restart_policy"], RESTART_POLICY, allow_null=True)
    condition = string(rule["condition"]) if "condition" in rule else "any"
    if condition not in _CONDITIONS:
        rule["condition"].fail(f"unknown condition {condition!r}: expected one of {', '.join(_CONDITIONS)}")
    retries = integer(rule["max_attempts"], minimum=0) if "max_attempts" in rule else None
    if retries is not None and condition != "on-failure":
        rule["max_attempts"].fail(
            f"max_attempts with condition {condition!r}: {UNSUPPORTED} it (the engines count "
            "retries only on failure); use condition: on-failure"
        )
    return Restart(_CONDITIONS[condition], retries)


def _replicas(at: At) -> int:
    """`deploy.replicas`: one container per service, as labkit runs them."""
    count = integer(at, minimum=0)
    if count != 1:
        at.fail(f"replicas {count}: {UNSUPPORTED} more or fewer than one container per service")
    return count
