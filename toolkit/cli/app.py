"""The `labkit` command: the root callback and the one error boundary.

Every command module registers itself here. Engine SDKs are imported only by commands that
talk to an engine, so `labkit --help` and `--version` stay fast.
"""

from __future__ import annotations

import sys
from importlib.metadata import version as package_version
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
    "gc",
    "graph",
    "handout",
    "bundle",
    "export",
)
_registered = False


def register_commands() -> typer.Typer:
    """Attach every command module to the root app (once) and return it."""
    global _registered
    if _registered:
        return app
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"toolkit.cli.{name}")
        if hasattr(module, "register"):
            module.register(app)
        elif isinstance(getattr(module, "app", None), typer.Typer):
            app.add_typer(module.app, name=name)
    _registered = True
    return app


# Said of any command: only `up` creates what an interruption leaves, and it says so itself.
INTERRUPTED = str(Interrupted("interrupted"))


def main() -> None:
    """Run the CLI; every labkit error becomes one line on stderr and its exit code."""
    from toolkit.cli.render import error_line

    register_commands()
    try:
        # Without standalone mode Typer returns a command's exit code instead of exiting.
        code = app(standalone_mode=False)
        if code == Interrupted.exit_code:
            # Typer turns a Ctrl-C into exit code 130 without a word: say it in one line, as
            # for any other error. (`up` cleans up and raises Interrupted instead.)
            error_line(INTERRUPTED)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ToolkitError as exc:
        error_line(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        error_line(INTERRUPTED)
        sys.exit(Interrupted.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_line("aborted")
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
        error_line(f"{message}{hint}")
        sys.exit(int(getattr(exc, "exit_code", 2)))
    finally:
        context.close_engines()
