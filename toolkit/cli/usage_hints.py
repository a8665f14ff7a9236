"""The way out of a usage error, added to click's own words.

`labkit exec firewall web sh -c "..."` reads `-c` as labkit's option; a missing SERVICE can
be listed from the exercise's file without any engine.
"""

from __future__ import annotations

# Typer ships its own copy of click, whose errors these are.
from typer._click.exceptions import MissingParameter, NoSuchOption


def hint_for(error: Exception) -> str:
    """A few words that fix `error`, or "" when there is nothing to add."""
    ctx = getattr(error, "ctx", None)
    if ctx is None or ctx.command is None:
        return ""
    command = ctx.command.name
    if isinstance(error, NoSuchOption) and command == "exec":
        return (
            "; to pass options to the command, put -- before it: labkit exec EXERCISE SERVICE -- sh -c '...'"
        )
    if isinstance(error, MissingParameter) and error.param is not None and error.param.name == "service":
        return _services(ctx.params.get("exercise"))
    return ""


def _services(exercise: object) -> str:
    """`; choose one of: a, b` for the services of the exercise, if it loads."""
    if not isinstance(exercise, str):
        return ""
    from toolkit.course import load_exercise
    from toolkit.errors import ToolkitError

    try:
        stack = load_exercise(exercise)
    except ToolkitError:
        return ""  # the missing argument is the error to report; a bad file shows later
    return f"; choose one of: {', '.join(stack.services)}"
