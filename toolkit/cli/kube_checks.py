"""`labkit check EXERCISE --kube`: the exercise's checks against its pods on a cluster."""

from __future__ import annotations

from pathlib import Path

import typer


def check_on_cluster(
    exercise: str,
    project: str | None,
    namespace: str | None,
    kube_context: str | None,
    *,
    as_json: bool,
    junit: Path | None,
) -> None:
    """Run the checks in the namespace's pods (default: the project's); exit 1 if one fails."""
    from toolkit.checks.junit import check_runs_to_junit, write_junit
    from toolkit.checks.kube import run_checks_on_cluster
    from toolkit.cli.render import checks as render
    from toolkit.course import load_exercise

    stack = load_exercise(exercise, project=project)
    where = namespace or stack.name
    run = run_checks_on_cluster(stack, where, context=kube_context, exercise=exercise)
    engine = f"kubernetes {kube_context}" if kube_context else "kubernetes"
    render.check_run(run, engine=engine, as_json=as_json)
    if junit is not None:
        write_junit(check_runs_to_junit([run], engine=engine), junit)
    if not run.passed:
        raise typer.Exit(1)
