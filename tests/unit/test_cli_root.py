"""The CLI's root: version, help, and the error boundary's exit codes (run as a real process)."""

from __future__ import annotations

import subprocess
import sys


def run_labkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from toolkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_version() -> None:
    result = run_labkit("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("labkit ")


def test_unknown_engine_is_one_line_and_exit_2() -> None:
    result = run_labkit("ps", "--engine", "bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "error: unknown engine 'bogus' in --engine: choose one of docker, podman\n"


def test_unknown_option_is_a_usage_error_without_traceback() -> None:
    result = run_labkit("doctor", "--bogus")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "No such option: --bogus" in result.stderr


def test_version_does_not_import_engine_sdks() -> None:
    code = (
        "import sys\n"
        "from toolkit.cli.app import main, register_commands\n"
        "register_commands()\n"
        "print(sorted(m for m in ('docker', 'podman') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_command_table_names_every_command_and_its_module() -> None:
    import typer

    from toolkit.cli.app import _COMMAND_MODULES, COMMANDS, attach

    found: dict[str, str] = {}
    for module in _COMMAND_MODULES:
        root = typer.Typer()
        root.callback()(lambda: None)
        attach(root, module)
        found.update(dict.fromkeys(typer.main.get_group(root).commands, module))
    # Each command's own module comes first; a module adding subcommands to another's group
    # (images_push adds `images push`) defines no command of its own and follows that group's.
    assert found == {command: modules[0] for command, modules in COMMANDS.items()}
    listed = {module for modules in COMMANDS.values() for module in modules}
    assert listed == set(_COMMAND_MODULES)


def test_a_command_line_needs_its_own_module_only() -> None:
    from toolkit.cli.app import _COMMAND_MODULES, modules_for

    assert modules_for(["ps", "-p", "x"]) == ("overview",)
    assert modules_for(["-v", "images", "push", "web"]) == ("images", "images_push")
    assert modules_for(["--version"]) == ()
    assert modules_for(["--help"]) == _COMMAND_MODULES
    assert modules_for([]) == _COMMAND_MODULES
    assert modules_for(["no-such-command"]) == _COMMAND_MODULES


def test_ps_loads_neither_image_building_nor_describe() -> None:
    code = (
        "import sys\n"
        "from toolkit.cli.app import modules_for, register_commands\n"
        "register_commands(modules_for(['ps', '-p', 'x']))\n"
        "heavy = ('toolkit.cli.images', 'toolkit.images', 'toolkit.stack.describe', "
        "'toolkit.stack.orchestrator', 'docker', 'podman')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
