"""Output of the stack commands: up, down, ps, logs, exec, list and validate."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from toolkit.cli.render import console, count, err_console, note, print_json

if TYPE_CHECKING:  # types only: `ps` should not load what `describe` or `validate` needs
    from toolkit.errors import StackError
    from toolkit.runtime.specs import ExecResult, PortBinding
    from toolkit.stack.describe import ExerciseDescription
    from toolkit.stack.listing import ExerciseEntry
    from toolkit.stack.model import Stack
    from toolkit.stack.outcomes import DownResult, LogLine, ServiceStatus, StackEvent, UpResult
    from toolkit.stack.plan import Plan

_STATE_STYLE = {"running": "green", "exited": "yellow", "created": "cyan", "dead": "red"}
_HEALTH_STYLE = {"healthy": "green", "starting": "yellow", "unhealthy": "red"}


def _port(port: PortBinding) -> str:
    host = f"{port.host_ip}:" if port.host_ip else ""
    published = f"{host}{port.host_port}->" if port.host_port else ""
    return f"{published}{port.container_port}/{port.protocol}"


def _ips(status: ServiceStatus) -> str:
    """One line per network, in interface order: `eth0 lan1 10.30.1.10`."""
    order = list(status.interfaces)
    ranked = sorted(
        status.ips.items(),
        key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]),
    )
    return "\n".join(
        " ".join(filter(None, (status.interfaces.get(network), network, ip))) for network, ip in ranked
    )


def _state(status: ServiceStatus) -> Text:
    text = status.state
    if status.state == "exited" and status.exit_code is not None:
        text = f"exited ({status.exit_code})"
    return Text(text, style=_STATE_STYLE.get(status.state, ""))


def _health(status: ServiceStatus) -> Text:
    return Text(status.health or "-", style=_HEALTH_STYLE.get(status.health or "", "dim"))


def status_json(status: ServiceStatus) -> dict[str, object]:
    return {
        "project": status.project,
        "exercise": status.exercise,
        "service": status.service,
        "container": status.container,
        "state": status.state,
        "health": status.health,
        "exit_code": status.exit_code,
        "ips": dict(status.ips),
        "interfaces": dict(status.interfaces),
        "ports": [
            {
                "container_port": p.container_port,
                "protocol": p.protocol,
                "host_port": p.host_port,
                "host_ip": p.host_ip,
            }
            for p in status.ports
        ],
    }


def _service_table(statuses: Iterable[ServiceStatus]) -> Table:
    """One row per service. An interface's line (`eth0 lan1 10.30.1.10`) is never broken; health
    and ports columns only when a service has a health check or publishes a port, so 80 columns
    hold the usual lab."""
    statuses = list(statuses)
    with_ports = any(status.ports for status in statuses)
    with_health = any(status.health for status in statuses)
    table = Table(box=None)
    table.add_column("service", overflow="fold")
    table.add_column("state", no_wrap=True)
    if with_health:
        table.add_column("health", no_wrap=True)
    table.add_column("IPs", no_wrap=True)
    if with_ports:
        table.add_column("ports")
    for status in statuses:
        row: list[str | Text] = [status.service, _state(status)]
        row += [_health(status)] if with_health else []
        row.append(_ips(status))
        if with_ports:
            row.append(", ".join(_port(p) for p in status.ports))
        table.add_row(*row)
    return table


# ---------------------------------------------------------------- up and down


# What `up` says as it goes, on a terminal: each service created, started, then ready.
_STEPS = {
    "network-created": "network created",
    "container-created": "created",
    "container-started": "started",
}


def _step(event: StackEvent) -> str | None:
    if event.kind == "service-ready":
        return event.detail or "ready"
    return _STEPS.get(event.kind)


def progress(event: StackEvent) -> None:
    """Progress of up/down on stderr: image builds always (they take long); on a terminal each
    service's steps (quiet when piped); every event with -v."""
    from toolkit.cli.context import is_verbose

    step = _step(event)
    if step is not None and not is_verbose():
        if err_console.is_terminal:
            note(f"  {event.subject}: {step}")
    elif event.kind == "image-build" and event.detail.startswith("for service"):
        note(f"building {event.subject} {event.detail}")
    elif event.kind == "image-build" and event.detail == "started":
        note(f"building course image {event.subject}")
    elif event.kind == "cleanup":
        note(event.detail)
    elif is_verbose():  # every event, build output lines included
        note(f"{event.kind}: {event.subject} {event.detail}".rstrip())


def up_result(result: UpResult, *, describe_hint: str | None = None) -> None:
    """The project's services as `up` left them; `describe_hint`: the command that shows the
    exercise with this project's addresses (after --renumber)."""
    changed = sum(1 for s in result.services if s.action != "unchanged")
    what = "up to date, nothing changed" if not result.changed else f"{count(changed, 'service')} started"
    if not result.waited:
        what += ", not waiting for health"
    console.print(f"project {result.project} on {result.engine}: {what}")
    console.print(_service_table(result.services))
    if describe_hint:
        console.print(f"the exercise with this project's addresses: {describe_hint}", markup=False)


def stack_failure(error: StackError) -> None:
    """What a failed `up` knows beyond its one-line error: the probe output and the log tail."""
    if error.probe_output:
        err_console.print(f"last probe output of {error.service}:", style="bold", markup=False)
        err_console.print(_indent(error.probe_output.splitlines()), markup=False, highlight=False)
    if error.log_tail:
        err_console.print(
            f"last {len(error.log_tail)} log lines of {error.service}:", style="bold", markup=False
        )
        err_console.print(_indent(error.log_tail), markup=False, highlight=False)


def _indent(lines: Sequence[str]) -> str:
    return "\n".join(f"  {line}" for line in lines)


def down_result(result: DownResult) -> None:
    if not result.found:
        console.print(f"project {result.project}: nothing to remove")
        return
    parts = [count(len(result.containers), "container"), count(len(result.networks), "network")]
    if result.volumes:
        parts.append(count(len(result.volumes), "volume"))
    console.print(f"project {result.project}: removed {', '.join(parts)}")


# ---------------------------------------------------------------- ps, logs, exec


def ps(
    rows: Sequence[tuple[str, ServiceStatus]], *, as_json: bool, project: str | None, with_engine: bool
) -> None:
    """Services as (engine, status) rows. One project: its table. Every project: a heading per
    project (its engine when several engines were asked) and its table, so that no column of
    project names squeezes the addresses out of 80 columns."""
    if as_json:
        print_json([{**status_json(s), "engine": engine} for engine, s in rows])
        return
    if not rows:
        console.print(f"project {project} is not up" if project else "no labkit project is up")
        return
    if project is not None:
        console.print(_service_table([s for _, s in rows]))
        return
    groups: dict[tuple[str, str], list[ServiceStatus]] = {}
    for engine, status in rows:
        groups.setdefault((engine, status.project), []).append(status)
    for index, ((engine, name), statuses) in enumerate(groups.items()):
        where = f" on {engine}" if with_engine else ""
        exercise = f" [dim]({escape(statuses[0].exercise)})[/]" if statuses[0].exercise else ""
        console.print(("\n" if index else "") + f"[bold]{escape(name)}[/]{where}{exercise}")
        console.print(_service_table(statuses))


def log_lines(lines: Iterable[LogLine], *, prefix: bool) -> None:
    """Log lines as they come, plain, prefixed with the service when there are several."""
    width = 0
    for line in lines:
        if prefix:
            width = max(width, len(line.service))
            sys.stdout.write(f"{line.service.ljust(width)} | {line.text}\n")
        else:
            sys.stdout.write(line.text + "\n")
        sys.stdout.flush()


def exec_output(result: ExecResult) -> None:
    """A command's own output, unchanged: stdout to stdout, stderr to stderr."""
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    sys.stderr.write(result.stderr)
    sys.stderr.flush()


# ---------------------------------------------------------------- list and validate


def exercises(entries: Sequence[ExerciseEntry], *, as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "exercise": e.name,
                    "title": e.title,
                    "file": str(e.file) if e.file else None,
                    "error": e.error,
                    "up": e.up,
                    "projects": list(e.projects),
                    "engines": list(e.engines),
                }
                for e in entries
            ]
        )
        return
    if not entries:
        console.print("no exercises found")
        return
    table = Table("exercise", "title", "engine", "up as", box=None)
    for entry in entries:
        title = Text(entry.title) if not entry.error else Text(f"invalid: {entry.error}", style="red")
        if not entry.up:
            mark = Text("?" if entry.up is None else "-", style="dim")
            table.add_row(entry.name, title, mark, mark)
            continue
        by_engine: dict[str, list[str]] = {}
        for project, engine in zip(entry.projects, entry.engines, strict=True):
            by_engine.setdefault(engine, []).append(project)
        for index, (engine, projects) in enumerate(sorted(by_engine.items())):
            first = index == 0
            table.add_row(
                entry.name if first else "",
                title if first else "",
                engine,
                Text(", ".join(projects), style="green"),
            )
    console.print(table)


def plan(stack: Stack, plan: Plan, *, project: str, as_json: bool) -> None:
    """The normalised plan `labkit validate` prints."""
    if as_json:
        print_json(
            {
                "project": project,
                "file": str(stack.file),
                "title": stack.exercise.title,
                "services": [
                    {
                        "name": step.name,
                        "wave": step.wave,
                        "image": stack.services[step.name].image,
                        "depends_on": [{"service": d.service, "condition": d.condition} for d in step.needs],
                    }
                    for step in plan.services
                ],
                "networks": [
                    {"name": n.name, "subnet": n.subnet, "gateway": n.gateway, "internal": n.internal}
                    for n in plan.networks
                ],
                "volumes": [v.name for v in plan.volumes],
                "checks": [{"name": c.name, "service": c.service} for c in stack.exercise.checks],
                "notes": [text for name in plan.service_names for text in stack.services[name].notes],
                "profiles": list(stack.profiles),
                "inactive": list(stack.inactive),
            }
        )
        return
    title = f" ({stack.exercise.title})" if stack.exercise.title else ""
    console.print(f"{stack.file}: valid, project {project}{title}", markup=False)
    console.print("services, in start order:")
    table = Table("wave", "service", "image", "waits for", box=None, padding=(0, 1, 0, 2))
    for step in plan.services:
        service = stack.services[step.name]
        image = service.image or ("(build)" if service.build else "")
        needs = ", ".join(f"{d.service} ({d.condition.removeprefix('service_')})" for d in step.needs)
        table.add_row(str(step.wave), step.name, image, needs or "-")
    console.print(table)
    console.print("networks:")
    for network in plan.networks:
        subnet = "external, joined as it is" if network.external else network.subnet or "engine's choice"
        extra = f", named {network.explicit_name}" if network.explicit_name else ""
        extra += f", gateway {network.gateway}" if network.gateway else ""
        extra += ", internal" if network.internal else ""
        console.print(f"  {network.name}: {subnet}{extra}", markup=False)
    if plan.volumes:
        console.print("volumes: " + ", ".join(v.name for v in plan.volumes), markup=False)
    checks = stack.exercise.checks
    console.print(f"checks: {len(checks)}" + ("" if checks else " (none)"))
    for check in checks:
        console.print(f"  [{check.service}] {check.name}", markup=False)
    for ignored in (text for name in plan.service_names for text in stack.services[name].notes):
        console.print(f"note: {ignored}", markup=False)
    if stack.inactive:
        console.print(
            f"not started (their profiles are not enabled): {', '.join(stack.inactive)}; "
            "enable one with --profile NAME",
            markup=False,
        )


def warning(message: str) -> None:
    """A warning that does not stop the command: one line on stderr."""
    err_console.print(f"warning: {message}", style="yellow", markup=False, highlight=False)


def description(described: ExerciseDescription, *, as_json: bool) -> None:
    """`labkit describe`: the exercise as one project has it."""
    if as_json:
        print_json(dataclasses.asdict(described))
        return
    from toolkit.stack.describe import format_description

    # On a terminal, wrapped between words to its width; piped, the text's own lines.
    width = console.width - 1 if console.is_terminal else None
    sys.stdout.write(format_description(described, width))
    sys.stdout.flush()
