"""The `labkit` command: the root callback and the one error boundary.

A command loads only its own module: `labkit ps` does not import what `images build` needs,
and `--version` loads no command at all. Engine SDKs are imported only by commands that talk
to an engine.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from toolkit.cli import context, help_format
from toolkit.errors import Interrupted, ToolkitError

help_format.apply()
app = typer.Typer(
    name="labkit",
    help="Build course lab images and run exercise stacks on Docker or Podman.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version as package_version

        typer.echo(f"labkit {package_version('labkit')}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Say more on stderr.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """labkit: course images and exercise stacks, the same on Docker and Podman."""
    context.set_verbose(verbose)


# Command modules: a module with `register(root)` adds top-level commands; a module with a
# Typer `app` becomes a command group of that name.
_COMMAND_MODULES = (
    "engine",
    "images",
    "images_push",
    "stack",
    "overview",
    "checks",
    "classroom",
    "gc",
    "graph",
    "handout",
    "bundle",
    "export",
)
# The modules each top-level command needs (its own first, then any that add subcommands to
# it), so that running one command imports only those. A command missing here still works
# (every module is loaded then, as for `--help`); tests/unit/test_cli_root.py keeps the
# table complete.
COMMANDS: dict[str, tuple[str, ...]] = {
    "engine": ("engine",),
    "doctor": ("engine",),
    "images": ("images", "images_push"),
    "up": ("stack",),
    "down": ("stack",),
    "ps": ("overview",),
    "logs": ("stack",),
    "exec": ("stack",),
    "list": ("overview",),
    "validate": ("stack",),
    "describe": ("stack",),
    "check": ("checks",),
    "solve": ("checks",),
    "test": ("checks",),
    "class": ("classroom",),
    "gc": ("gc",),
    "graph": ("graph",),
    "handout": ("handout",),
    "course": ("bundle",),
    "export": ("export",),
}
_registered: set[str] = set()


def register_commands(modules: Sequence[str] = _COMMAND_MODULES) -> typer.Typer:
    """Attach the command modules (each once; by default all of them) and return the root app."""
    for name in modules:
        if name not in _registered:
            attach(app, name)
            _registered.add(name)
    return app


def attach(root: typer.Typer, name: str) -> None:
    """Add the commands of the command module `name` to `root`."""
    module = importlib.import_module(f"toolkit.cli.{name}")
    if hasattr(module, "register"):
        module.register(root)
    elif isinstance(getattr(module, "app", None), typer.Typer):
        root.add_typer(module.app, name=name)


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The command modules a command line needs: the named command's own, or every module
    (for help, no command, or a command not in COMMANDS). The root takes only flags, so the
    first word that is not one names the command."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command is not None and command in COMMANDS:
        return COMMANDS[command]
    if command is None and any(arg == "--version" for arg in args):
        return ()  # answered by the root callback before any command is looked up
    return _COMMAND_MODULES


def _error_line(message: str) -> None:
    from toolkit.cli.render import error_line  # rich is loaded when there is something to print

    error_line(message)


# Said of any command: only `up` creates what an interruption leaves, and it says so itself.
INTERRUPTED = str(Interrupted("interrupted"))


def main() -> None:
    """Run the CLI; every labkit error becomes one line on stderr and its exit code."""
    register_commands(modules_for(sys.argv[1:]))
    try:
        # Without standalone mode Typer returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if code == Interrupted.exit_code:
            # Typer turns a Ctrl-C into exit code 130 without a word: say it in one line, as
            # for any other error. (`up` cleans up and raises Interrupted instead.)
            _error_line(INTERRUPTED)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ToolkitError as exc:
        _error_line(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _error_line(INTERRUPTED)
        sys.exit(Interrupted.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        _error_line("aborted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        # One line, like every other labkit error, instead of click's three-line usage block.
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        from toolkit.cli.usage_hints import hint_for

        ctx = getattr(exc, "ctx", None)
        fix = hint_for(exc)
        message = message.rstrip(".") if fix else message
        hint = fix or (f" (see '{ctx.command_path} -h')" if ctx is not None else "")
        _error_line(f"{message}{hint}")
        sys.exit(int(getattr(exc, "exit_code", 2)))
    finally:
        context.close_engines()
