"""Every error labkit raises, one base, each with the exit code the CLI uses.

    ToolkitError                      exit 1: the operation failed
    ├── UsageError                    exit 2: bad input or usage, found before any engine call
    │   └── ConfigError               a Compose or exercise file is wrong (file, line, key path)
    ├── EngineUnavailable             exit 3: no engine answers
    │   └── EngineGone                the engine stopped answering in the middle of an operation
    ├── EngineError                   the engine refused or failed an operation
    │   ├── NotFound
    │   │   ├── ImageNotFound
    │   │   ├── ContainerNotFound
    │   │   ├── NetworkNotFound
    │   │   └── VolumeNotFound
    │   ├── NameConflict              a resource of that name exists already
    │   ├── BuildFailed               an image build failed (failing step, last output lines)
    │   └── ExecTimeout               a command run in a container did not finish in time
    ├── StackError                    an exercise stack did not come up (service, probe, logs)
    └── Interrupted                   exit 130: the user pressed Ctrl-C; cleanup ran

The library raises these and never prints or exits; the CLI turns each into one line and
`exit_code`.
"""

from __future__ import annotations

from collections.abc import Sequence


class ToolkitError(Exception):
    """Base of every labkit error: a message a user can act on."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ToolkitError):
    """Bad input or usage: a flag, a name, an argument."""

    exit_code = 2


class ConfigError(UsageError):
    """A configuration file is wrong at a known place."""

    def __init__(self, message: str, *, file: str, line: int | None = None, key_path: str = "") -> None:
        self.file = file
        self.line = line
        self.key_path = key_path
        where = file if line is None else f"{file}:{line}"
        at = f" ({key_path})" if key_path else ""
        super().__init__(f"{where}{at}: {message}")
        self.reason = message


class EngineUnavailable(ToolkitError):
    """No container engine answers."""

    exit_code = 3


class EngineGone(EngineUnavailable):
    """The engine stopped answering while labkit was working with it."""


class EngineError(ToolkitError):
    """The engine refused or failed an operation."""


class NotFound(EngineError):
    """A named resource does not exist."""


class ImageNotFound(NotFound):
    """No image of that reference exists locally."""


class ContainerNotFound(NotFound):
    """No container of that name or id exists."""


class NetworkNotFound(NotFound):
    """No network of that name exists."""


class VolumeNotFound(NotFound):
    """No volume of that name exists."""


class NameConflict(EngineError):
    """A resource of that name exists already."""


class BuildFailed(EngineError):
    """An image build failed."""

    def __init__(self, message: str, *, step: str = "", log_tail: Sequence[str] = ()) -> None:
        self.step = step
        self.log_tail = tuple(log_tail)
        super().__init__(message)


class ExecTimeout(EngineError):
    """A command run in a container did not finish within its timeout."""

    def __init__(self, message: str, *, timeout: float, output: str = "") -> None:
        self.timeout = timeout
        self.output = output
        super().__init__(message)


class StackError(ToolkitError):
    """An exercise stack did not come up or could not be changed."""

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        probe_output: str = "",
        log_tail: Sequence[str] = (),
    ) -> None:
        self.service = service
        self.probe_output = probe_output
        self.log_tail = tuple(log_tail)
        super().__init__(message)


class Interrupted(ToolkitError):
    """The user interrupted an operation; what it had created was removed."""

    exit_code = 130
