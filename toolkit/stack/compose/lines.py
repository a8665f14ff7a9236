"""Where each service is written in a Compose file, for messages that point at it."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import ConfigError
from toolkit.stack.compose.yaml_source import MapNode, load_yaml


def service_lines(path: Path) -> dict[str, int]:
    """Service name -> the line its key is written on; {} when the file does not read."""
    try:
        root = load_yaml(path, str(path))
    except ConfigError:
        return {}
    for entry in root.entries:
        if entry.key == "services" and isinstance(entry.value, MapNode):
            return {service.key: service.line for service in entry.value.entries}
    return {}
