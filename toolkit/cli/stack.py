"""The stack commands: up, down, ps, logs, exec, list, validate and describe.

EXERCISE is a folder under the course's compose/ or a path to a Compose file (or its folder).
The project name defaults to the stack's name; `-p` runs another copy side by side, and
`--renumber` gives that copy its own subnets so that copies of one exercise fit on one engine.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from toolkit.cli import context
from toolkit.cli.options import (
    BaseOption,
    EngineOption,
    JsonOption,
    OptionalExercise,
    ProfileOption,
    ProjectOption,
)
from toolkit.cli.render import stack as render
from toolkit.cli.variant import StudentOption, target
from toolkit.errors import StackError, UsageError

if TYPE_CHECKING:  # types only, so a command loads no more than it runs
    from ipaddress import IPv4Network

    from toolkit.runtime.protocol import Runtime
    from toolkit.runtime.select import EngineChoice
    from toolkit.stack.model import Stack
    from toolkit.stack.placement import Renumbering

ExerciseArgument = Annotated[
    str, typer.Argument(help="An exercise under compose/, or a path to a Compose file.", show_default=False)
]

INTERACTIVE_SHELL = "command -v bash >/dev/null 2>&1 && exec bash || exec sh"


def _load(
    exercise: str,
    base: str | None = None,
    project: str | None = None,
    student: str | None = None,
    profiles: list[str] | None = None,
) -> Stack:
    """Find and load an exercise's Compose file (a student's variant with `student`); `base`
    sets LABKIT_BASE for interpolation; `profiles` enables Compose profiles."""
    from toolkit.cli import variant

    return variant.load(exercise, base=base, project=project, student=student, profiles=profiles)


def _order(stack: Stack | None) -> tuple[str, ...]:
    return tuple(stack.services) if stack else ()


def _seconds(text: str) -> float:
    from toolkit.stack.compose.units import parse_duration

    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--timeout: {exc}") from None


def up(
    exercise: ExerciseArgument,
    base: BaseOption = None,
    project: ProjectOption = None,
    student: StudentOption = None,
    profile: ProfileOption = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="How long to wait for services to be healthy.")
    ] = "120s",
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return once started; do not wait for health.")
    ] = False,
    keep_on_failure: Annotated[
        bool, typer.Option("--keep-on-failure", help="Keep what was created if up fails.")
    ] = False,
    allow_privileged: Annotated[
        bool,
        typer.Option("--allow-privileged", help="Run host access the exercise allows (x-labkit.allow)."),
    ] = False,
    allow_host_paths: Annotated[
        bool,
        typer.Option("--allow-host-paths", help="Run bind mounts of host paths outside the exercise folder."),
    ] = False,
    renumber: Annotated[
        bool,
        typer.Option(
            "--renumber",
            help="Give this project free subnets of its own (same sizes), so copies fit side by side.",
        ),
    ] = False,
    subnet_pool: Annotated[
        str | None,
        typer.Option(
            "--subnet-pool",
            help="Where --renumber takes subnets from (default: $LABKIT_SUBNET_POOL, then 10.128.0.0/9).",
            show_default=False,
        ),
    ] = None,
    engine: EngineOption = None,
) -> None:
    """Start an exercise: build missing images, create and start its services, wait for health."""
    from toolkit.cli import project_engine
    from toolkit.stack import orchestrator

    stack = _load(exercise, base, project, student, profile)
    seconds = _seconds(timeout)
    pool = _subnet_pool(renumber, subnet_pool)
    # Every check that needs no engine, once, before any engine is asked.
    project = project or (stack.name if student else None)
    checked = orchestrator.preflight(
        stack, project=project, allow_privileged=allow_privileged, allow_host_paths=allow_host_paths
    )
    choice = project_engine.choose_for_up(checked.project, engine)
    renumbering, runtime, elsewhere = _open_for_up(choice, pool)
    try:
        result = orchestrator.up_checked(
            runtime,
            checked,
            timeout=seconds,
            wait=not no_wait,
            keep_on_failure=keep_on_failure,
            on_event=render.progress,
            renumbering=renumbering,
            elsewhere=elsewhere,
        )
    except StackError as exc:
        render.stack_failure(exc)
        raise
    hint = f"labkit describe {exercise} -p {result.project}" if renumber or student else None
    render.up_result(result, describe_hint=hint)


def _subnet_pool(renumber: bool, flag: str | None) -> IPv4Network | None:
    """The pool --renumber takes subnets from, checked before any engine is asked; None without it."""
    from toolkit.stack.renumber import resolve_pool

    if not renumber:
        if flag:
            raise UsageError("--subnet-pool only applies with --renumber: add --renumber, or drop it")
        return None
    return resolve_pool(flag, os.environ)


def _open_for_up(
    choice: EngineChoice, pool: IPv4Network | None
) -> tuple[Renumbering | None, Runtime, dict[str, IPv4Network]]:
    """Open the engine; meanwhile list the subnets in use beyond it (other engines' networks,
    the host's interfaces: stack/elsewhere.py), which `up` refuses or, with a pool, avoids."""
    from concurrent.futures import ThreadPoolExecutor

    from toolkit.stack.elsewhere import subnets_elsewhere
    from toolkit.stack.placement import Renumbering

    with ThreadPoolExecutor(1, thread_name_prefix="labkit-elsewhere") as side:
        # A socket listing away; connecting to this engine takes longer: overlap the two.
        elsewhere = side.submit(subnets_elsewhere, choice.name)
        runtime = context.open_engine(choice)
        taken = elsewhere.result()
    return (None if pool is None else Renumbering(pool=pool)), runtime, taken


def down(
    exercise: OptionalExercise = None,
    project: ProjectOption = None,
    student: StudentOption = None,
    volumes: Annotated[bool, typer.Option("--volumes", help="Remove the project's volumes too.")] = False,
    profile: ProfileOption = None,
    engine: EngineOption = None,
) -> None:
    """Remove an exercise's containers, networks and probes (and volumes with --volumes).

    Every service of the project goes, whatever its profile: --profile is accepted as
    Compose takes it, and only chooses how the exercise is read.
    """
    from toolkit.cli.project_engine import open_for_project
    from toolkit.stack.operations import down as stack_down

    if student is not None and project is None:
        from toolkit.stack.variants import student_project

        if not exercise:
            raise UsageError("--student needs the exercise: labkit down EXERCISE --student ID")
        project = student_project(_load(exercise, profiles=profile or ["*"]).name, student)
    _, name = target(exercise, project, profiles=profile)
    assert name is not None
    runtime, _ = open_for_project(name, engine)
    render.down_result(stack_down(runtime, name, volumes=volumes, on_event=render.progress))


def logs(
    exercise: ExerciseArgument,
    service: Annotated[str | None, typer.Argument(help="One service (default: all).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", "-n", help="Only the last N lines.")] = None,
    project: ProjectOption = None,
    engine: EngineOption = None,
) -> None:
    """Print the logs of an exercise's services."""
    from toolkit.stack.operations import logs as stack_logs

    stack, name = target(exercise, project)
    assert stack is not None and name is not None
    runtime = _open_running(exercise, stack, name, engine, "logs")
    lines = stack_logs(runtime, name, service, tail=tail, follow=follow, order=_order(stack))
    try:
        render.log_lines(lines, prefix=service is None)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None  # Ctrl-C is how a follow ends


def exec_(
    exercise: ExerciseArgument,
    service: Annotated[str, typer.Argument(help="The service to run the command in.")],
    command: Annotated[
        list[str] | None, typer.Argument(help="The command (after --); default: a shell.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Run as this user.")] = None,
    project: ProjectOption = None,
    engine: EngineOption = None,
) -> None:
    """Run a command in a service; without one, open a shell (bash if there is one, else sh)."""
    from toolkit.stack.operations import exec_in_service, find_service

    stack, name = target(exercise, project)
    assert stack is not None and name is not None
    runtime = _open_running(exercise, stack, name, engine, "exec")
    argv = list(command or [])
    if not argv:
        if sys.stdin.isatty():
            info = find_service(runtime, name, service)
            _hand_over_to_engine_cli(runtime, info.id, user)
        # No terminal: what stdin holds is the script.
        argv = ["/bin/sh", "-c", sys.stdin.read()]
    result = exec_in_service(runtime, name, service, argv, user=user)
    render.exec_output(result)
    if result.exit_code:
        # SystemExit, not typer.Exit: run with standalone_mode=False, click returns typer.Exit's
        # code instead of exiting, and the command's exit code must reach the shell.
        raise SystemExit(result.exit_code)


def _open_running(exercise: str, stack: Stack, project: str, engine: str | None, command: str) -> Runtime:
    """The engine running `project` (see project_engine.open_for_running)."""
    from toolkit.cli.project_engine import open_for_running
    from toolkit.stack.naming import exercise_name

    return open_for_running(project, engine, typed=exercise, exercise=exercise_name(stack), command=command)


def _hand_over_to_engine_cli(runtime: Runtime, container: str, user: str | None) -> None:
    """Replace this process with `docker exec -it` / `podman exec -it`: a real terminal."""
    binary = shutil.which(runtime.name)
    if binary is None:
        raise UsageError(
            f"an interactive shell needs the {runtime.name} command, which is not on PATH: "
            "install it, or pass a command after --"
        )
    user = runtime.exec_user(container, user)
    argv = [
        binary,
        "exec",
        "-it",
        *(["--user", user] if user else []),
        container,
        "sh",
        "-c",
        INTERACTIVE_SHELL,
    ]
    # The engine's CLI talks to the socket labkit uses: the docker CLI reads DOCKER_HOST, the
    # podman CLI (local, not --remote) works on the same storage as its service and ignores it.
    environ = {**os.environ, "DOCKER_HOST": f"unix://{runtime.info().socket}"}
    context.close_engines()
    os.execvpe(binary, argv, environ)


def validate(
    exercise: ExerciseArgument,
    base: BaseOption = None,
    project: ProjectOption = None,
    profile: ProfileOption = None,
    json: JsonOption = False,
) -> None:
    """Check an exercise's Compose file and print its plan; no engine is used."""
    from toolkit.stack.naming import resolve_project
    from toolkit.stack.orchestrator import validate as validate_stack

    stack = _load(exercise, base, project, profiles=profile)
    plan = validate_stack(stack)
    render.plan(stack, plan, project=resolve_project(stack, project), as_json=json)
    _warn_idle_services(stack)


def _warn_idle_services(stack: Stack) -> None:
    """One line per service that would exit at once in a lab with checks (idle_services.py)."""
    from toolkit.course import course_of, images_root
    from toolkit.stack.compose.lines import service_lines
    from toolkit.stack.idle_services import idle_services

    course = course_of(stack.folder)
    idle = idle_services(stack, course / "images" if course else images_root())
    lines = service_lines(stack.file) if idle else {}
    for found in idle:
        render.warning(
            f"{_shown(stack.file)}:{lines.get(found.service, 1)}: service {found.service!r} runs "
            f"`{found.runs}`, which exits at once without a terminal, so checks cannot run in it: "
            'give it a long-running command (command: ["sleep", "infinity"], with init: true)'
        )


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def describe(
    exercise: ExerciseArgument,
    project: ProjectOption = None,
    student: StudentOption = None,
    profile: ProfileOption = None,
    json: JsonOption = False,
    engine: EngineOption = None,
) -> None:
    """Print the exercise's text, networks, addresses and checks, as the project has them.

    A project brought up with --renumber is shown with its own subnets and addresses; a
    project that is not up, with the exercise's declared ones.
    """
    from toolkit.cli import variant
    from toolkit.cli.project_engine import open_for_project
    from toolkit.errors import EngineUnavailable
    from toolkit.stack.describe import describe_project
    from toolkit.stack.naming import resolve_project

    stack, values = variant.load_with_values(exercise, project=project, student=student, profiles=profile)
    name = resolve_project(stack, project or (stack.name if student else None))
    runtime: Runtime | None
    try:
        runtime, _ = open_for_project(name, engine)
    except EngineUnavailable:
        if engine:
            raise
        runtime = None  # no engine: nothing is up, the declared addresses are the project's
    if runtime is not None and student is None and stack.exercise.parameters:
        owner = variant.student_of(runtime, name)
        if owner is not None:
            student = owner
            stack, values = variant.load_with_values(exercise, project=name, student=owner, profiles=profile)
    described = describe_project(runtime, stack, name, student=student, values=values)
    render.description(described, as_json=json)


def register(root: typer.Typer) -> None:
    """Add the stack commands to the root app."""
    root.command()(up)
    root.command()(down)
    root.command()(logs)
    root.command("exec")(exec_)
    root.command()(validate)
    root.command()(describe)
