"""Options shared by every command that touches an engine or an exercise."""

from __future__ import annotations

from typing import Annotated

import typer

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        "-e",
        help="docker or podman (default: $LABKIT_ENGINE, then the first engine that answers).",
        show_default=False,
    ),
]

OptionalExercise = Annotated[
    str | None,
    typer.Argument(help="An exercise under compose/, or a path to a Compose file.", show_default=False),
]

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _project_name(value: str | None) -> str | None:
    """Where a project name enters: the one rule (naming.project_name) applies here."""
    from toolkit.stack.naming import project_name

    return None if value is None else project_name(value)


ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="Project name (default: the exercise's name).",
        show_default=False,
        callback=_project_name,
    ),
]

BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base", "-b", help="Base alias for course images, e.g. debian:bookworm.", show_default=False
    ),
]

ProfileOption = Annotated[
    list[str] | None,
    typer.Option(
        "--profile",
        help="Enable a Compose profile's services (repeatable; default: $COMPOSE_PROFILES).",
        show_default=False,
    ),
]


def profile_environ(profiles: list[str] | None) -> dict[str, str] | None:
    """The environment a load reads when --profile is given: COMPOSE_PROFILES set to them, as
    Compose lets the flag win over the variable; None (the process environment) without."""
    import os

    return {**os.environ, "COMPOSE_PROFILES": ",".join(profiles)} if profiles else None
