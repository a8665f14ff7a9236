"""A service's environment: `env_file` entries, then `environment` over them."""

from __future__ import annotations

from collections.abc import Mapping

from toolkit.stack.compose.dotenv import read_env_file
from toolkit.stack.compose.fields import At, boolean, checked, items, key_values, nonempty_string
from toolkit.stack.compose.keys import ENV_FILE
from toolkit.stack.compose.paths import inside_folder, is_file
from toolkit.stack.compose.yaml_source import MapNode, Scalar


def read_environment(fields: Mapping[str, At]) -> dict[str, str]:
    """Merge a service's env files and `environment` (which wins), as Compose does.

    `KEY` given alone takes its value from the environment; when that is unset the variable
    is left out altogether, even if an env file set it (Compose leaves it unset too).
    """
    values: dict[str, str] = {}
    if "env_file" in fields:
        for entry in _env_files(fields["env_file"]):
            values.update(entry)
    if "environment" in fields:
        at = fields["environment"]
        for name, (value, _) in key_values(at).items():
            if value is None:
                value = at.ctx.environ.get(name)
            if value is None:
                values.pop(name, None)
            else:
                values[name] = value
    return values


def _env_files(at: At) -> list[dict[str, str]]:
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        return [_read(at, at.node.value, required=True)]
    found: list[dict[str, str]] = []
    for item in items(at):
        if isinstance(item.node, MapNode):
            entry = checked(item, ENV_FILE)
            if "path" not in entry:
                item.fail("an env_file entry needs a 'path'")
            required = boolean(entry["required"]) if "required" in entry else True
            found.append(_read(entry["path"], nonempty_string(entry["path"]), required=required))
        else:
            found.append(_read(item, nonempty_string(item), required=True))
    return found


def _read(at: At, written: str, *, required: bool) -> dict[str, str]:
    path = inside_folder(at, written, "env_file")
    if not is_file(at, path, "env_file", written):
        if required:
            at.fail(f"env_file {written!r} does not exist")
        return {}
    return read_env_file(path, str(path), at.ctx.environ.get)
