"""The export commands: an exercise as manifests for another orchestrator.

labkit export kube EXERCISE [-p PROJECT | --student ID] [--registry HOST[:PORT]] -o DIR
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import EngineOption, ProjectOption
from toolkit.cli.render import export as render
from toolkit.cli.variant import StudentOption
from toolkit.runtime.protocol import Runtime

app = typer.Typer(help="Export an exercise as manifests for Kubernetes or OpenShift.", no_args_is_help=True)

RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help="HOST[:PORT] the cluster pulls course images from (see `labkit images push`).",
        show_default=False,
    ),
]


@app.command()
def kube(
    exercise: Annotated[
        str, typer.Argument(help="An exercise under compose/, or a Compose file.", show_default=False)
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the manifests to.", show_default=False)
    ],
    project: ProjectOption = None,
    registry: RegistryOption = None,
    kubectl_image: Annotated[
        str | None,
        typer.Option(
            "--kubectl-image",
            help="Image of the start-order waits (kubectl 1.31 or later).",
            show_default=False,
        ),
    ] = None,
    student: StudentOption = None,
    engine: EngineOption = None,
) -> None:
    """Write a project's Namespace, networks, pods and volumes as plain Kubernetes manifests.

    With -p naming a project that runs renumbered here, its own addresses are exported; with
    --student, that student's variant, in a namespace of its own (<exercise>-<id>).
    Apply with `kubectl apply -f DIR`; the cluster needs Multus (OpenShift ships it).
    """
    from dataclasses import replace

    from toolkit.checks.project import stack_as_running
    from toolkit.cli.variant import load
    from toolkit.export.kube import export_stack, write_export
    from toolkit.export.kube.ordering import KUBECTL_IMAGE
    from toolkit.export.kube.refuse import refuse_unexpressible
    from toolkit.images.registry import check_registry
    from toolkit.stack.naming import project_name

    checked_registry = check_registry(registry) if registry else None
    name = project_name(project) if project else None
    stack = load(exercise, project=name, student=student)
    refuse_unexpressible(stack, name or stack.name)  # bad input says so before any engine is asked
    # Only a named project can run renumbered here; the declared addresses need no engine.
    runtime = _engine_if_any(engine) if name else None
    named = replace(stack, name=name or stack.name)
    result = export_stack(
        stack_as_running(runtime, named, named.name) if runtime else named,
        registry=checked_registry,
        kubectl_image=kubectl_image or KUBECTL_IMAGE,
    )
    render.kube_export(result, write_export(result, output))


def _engine_if_any(engine: str | None) -> Runtime | None:
    from toolkit.errors import EngineUnavailable

    try:
        return context.open_engine(engine)
    except EngineUnavailable:
        if engine:
            raise
        return None  # no engine: the project is not up anywhere, its addresses are the declared ones
