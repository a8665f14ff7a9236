"""Output of `labkit engine` and `labkit doctor`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from rich.table import Table

from toolkit.cli.render import console, print_json
from toolkit.doctor import Finding
from toolkit.runtime.specs import EngineInfo

_MARK = {"ok": "[green]ok[/]", "note": "[yellow]note[/]", "problem": "[red]problem[/]"}


def engines(infos: Sequence[EngineInfo], *, default: str, as_json: bool) -> None:
    if as_json:
        print_json([{**asdict(info), "default": info.name == default} for info in infos])
        return
    table = Table("engine", "version", "API", "socket", "rootless", "default", box=None)
    for info in infos:
        table.add_row(
            info.name,
            info.version,
            info.api_version,
            info.socket,
            "yes" if info.rootless else "no",
            "*" if info.name == default else "",
        )
    console.print(table)


def findings(items: Sequence[Finding], *, as_json: bool) -> None:
    if as_json:
        print_json([asdict(item) for item in items])
        return
    table = Table("check", "status", "detail", "fix", box=None)
    for item in items:
        table.add_row(item.check, _MARK[item.level], item.detail, item.fix)
    console.print(table)
    problems = sum(1 for item in items if item.level == "problem")
    console.print("no problem found" if problems == 0 else f"{problems} problem(s) found")
