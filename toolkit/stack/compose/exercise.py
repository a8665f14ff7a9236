"""labkit's own section, `x-labkit`: the exercise's title, checks and solution.

    x-labkit:
      title: Static IP and default gateway
      allow: [privileged]
      parameters:                            # each student's own values (parameters.py)
        HOST1_IP: {generator: address, network: lan, hosts: 100-199}
      checks:
        - name: host1 reaches host2          # unique
          service: host1                     # or probe: NETWORK (labkit's probe container there)
          run: ping -c 1 -W 2 host2          # a string runs under /bin/sh -c; a list is argv
          expect_exit: 0                     # default 0
          expect_output: "1 received"        # a regex searched in stdout
          timeout: 10s                       # default 10s
          graded: true                       # default true
          points: 2                          # default 1; the score counts graded checks
          hint: look at the default route    # shown when the check fails
          requires: [host1 is up]            # checks above it; not run while one fails
      solution:
        - service: host1
          run: ip route replace default via 10.10.1.1

Like every value of a Compose file, these strings are interpolated: `$NAME` and `${NAME}` take
the host's variables, so write `$$` for a `$` the command itself should see (`echo $$HOME`).
Whether the services named exist is checked with the rest of the file (cross_checks.py).
"""

from __future__ import annotations

import difflib
import re

from toolkit.stack.compose.fields import (
    At,
    boolean,
    checked,
    duration,
    integer,
    items,
    nonempty_string,
    number,
    string,
    string_list,
)
from toolkit.stack.compose.keys import CHECK, EXERCISE, SOLUTION_STEP
from toolkit.stack.compose.parameters import read_parameters
from toolkit.stack.compose.yaml_source import Scalar, SeqNode
from toolkit.stack.model import Check, Exercise, SolutionStep
from toolkit.stack.safety import ALLOWABLE


def read_exercise(at: At) -> Exercise:
    """Read `x-labkit`; raise ConfigError at the first wrong key or value."""
    fields = checked(at, EXERCISE, allow_null=True)
    allow = string_list(fields["allow"]) if "allow" in fields else ()
    for name in allow:
        if name not in ALLOWABLE:
            close = difflib.get_close_matches(name, ALLOWABLE, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fields["allow"].fail(f"unknown allow entry {name!r}{hint}; labkit knows: {', '.join(ALLOWABLE)}")
    return Exercise(
        title=string(fields["title"]) if "title" in fields else "",
        description=string(fields["description"]) if "description" in fields else "",
        checks=_checks(fields["checks"]) if "checks" in fields else (),
        solution=tuple(_step(item) for item in items(fields["solution"])) if "solution" in fields else (),
        allow=allow,
        parameters=read_parameters(fields["parameters"]) if "parameters" in fields else (),
        probe_image=nonempty_string(fields["probe_image"]) if "probe_image" in fields else None,
    )


def _checks(at: At) -> tuple[Check, ...]:
    found: list[Check] = []
    names: dict[str, int] = {}
    for item in items(at):
        fields = checked(item, CHECK)
        for needed in ("name", "run"):
            if needed not in fields:
                item.fail(f"a check needs '{needed}'")
        if ("service" in fields) == ("probe" in fields):
            item.fail("a check needs one of 'service' (run in it) or 'probe' (a network to probe from)")
        probe = nonempty_string(fields["probe"]) if "probe" in fields else None
        name = nonempty_string(fields["name"])
        if name in names:
            fields["name"].fail(f"duplicate check name {name!r} (first at line {names[name]})")
        names[name] = fields["name"].line
        found.append(
            Check(
                name=name,
                service=nonempty_string(fields["service"]) if probe is None else f"probe-{probe}",
                run=_run(fields["run"]),
                probe=probe,
                expect_exit=integer(fields["expect_exit"], minimum=0, maximum=255)
                if "expect_exit" in fields
                else 0,
                expect_output=_regex(fields["expect_output"]) if "expect_output" in fields else None,
                timeout=_timeout(fields["timeout"]) if "timeout" in fields else 10.0,
                graded=boolean(fields["graded"]) if "graded" in fields else True,
                user=nonempty_string(fields["user"]) if "user" in fields else None,
                points=integer(fields["points"], minimum=0, maximum=1000) if "points" in fields else 1,
                hint=string(fields["hint"]).strip() if "hint" in fields else "",
                requires=_requires(fields["requires"], names, name) if "requires" in fields else (),
            )
        )
    return tuple(found)


def _requires(at: At, above: dict[str, int], own: str) -> tuple[str, ...]:
    """Prerequisites: checks written above this one, so that no chain of them can loop."""
    names = string_list(at) if isinstance(at.node, SeqNode) else (nonempty_string(at),)
    for name in names:
        if name not in above or name == own:
            close = difflib.get_close_matches(name, above, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            at.fail(f"requires {name!r}, which is not a check above this one{hint}")
    return tuple(dict.fromkeys(names))


def _step(at: At) -> SolutionStep:
    fields = checked(at, SOLUTION_STEP)
    for needed in ("service", "run"):
        if needed not in fields:
            at.fail(f"a solution step needs '{needed}'")
    return SolutionStep(
        service=nonempty_string(fields["service"]),
        run=_run(fields["run"]),
        user=nonempty_string(fields["user"]) if "user" in fields else None,
        timeout=_timeout(fields["timeout"]) if "timeout" in fields else 30.0,
    )


def _run(at: At) -> tuple[str, ...]:
    """A string runs under /bin/sh -c; a list is the argv itself."""
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        if not at.node.value.strip():
            at.fail("the command is empty")
        return ("/bin/sh", "-c", at.node.value)
    if not isinstance(at.node, SeqNode):
        at.expected("a command string or a list of arguments")
    argv = tuple(string(item) for item in items(at))
    if not argv or not argv[0].strip():
        at.fail("the command is empty")
    return argv


def _regex(at: At) -> str:
    pattern = string(at)
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        at.fail(f"invalid regular expression {pattern!r}: {exc}")
    return pattern


def _timeout(at: At) -> float:
    """A duration ("10s"), or a number of seconds."""
    if isinstance(at.node, Scalar) and not isinstance(at.node.value, str):
        seconds = number(at)
    else:
        seconds = duration(at)
    if seconds <= 0:
        at.fail("the timeout must be more than 0")
    return seconds
