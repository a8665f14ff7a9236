"""labkit for test authors: the pytest plugin's fixtures and what they hand out.

The plugin (toolkit.testing.plugin) loads by itself through its `pytest11` entry point. Names
here are imported on first use, so loading the plugin does not import testcontainers and the
engine SDKs until a test asks for a container.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ContainerFactory": "toolkit.testing.containers",
    "LabContainer": "toolkit.testing.containers",
    "LabWait": "toolkit.testing.containers",
    "ExecReady": "toolkit.testing.containers",
    "LogLine": "toolkit.testing.containers",
    "PortOpen": "toolkit.testing.containers",
    "LabStack": "toolkit.testing.stacks",
    "StackFactory": "toolkit.testing.stacks",
    "LabRun": "toolkit.testing.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'toolkit.testing' has no attribute {name!r}")
