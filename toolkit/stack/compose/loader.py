"""Load a Compose file into a validated `Stack`: the only place that sees raw YAML.

    load_stack(path)   read -> interpolate -> extends -> include -> read each part
                       -> cross-checks -> profiles -> Stack

Everything is checked before any engine is touched. Every problem is one ConfigError with the
file, the line and the key path; a valid Compose feature labkit does not handle is refused by
name ("... labkit does not support it"), never silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from toolkit.errors import ConfigError
from toolkit.stack.compose.cross_checks import validate_stack
from toolkit.stack.compose.declared import read_networks, read_volumes
from toolkit.stack.compose.dotenv import read_env_file
from toolkit.stack.compose.exercise import read_exercise
from toolkit.stack.compose.extends import resolve_extends
from toolkit.stack.compose.fields import At, LoadContext, checked, entries, nonempty_string
from toolkit.stack.compose.file_objects import check_references, read_file_objects
from toolkit.stack.compose.include import join_included, read_includes
from toolkit.stack.compose.interpolate import TreeInterpolationError, interpolate_tree
from toolkit.stack.compose.keys import TOP_LEVEL
from toolkit.stack.compose.links import check_links
from toolkit.stack.compose.parameters import check_parameters
from toolkit.stack.compose.profiles import enabled_profiles, select_profiles
from toolkit.stack.compose.services import read_service
from toolkit.stack.compose.yaml_source import load_yaml
from toolkit.stack.model import Exercise, Network, Stack
from toolkit.stack.naming import DEFAULT_NETWORK, project_name
from toolkit.stack.naming import normalise_project_name as normalise_project_name  # re-exported


def load_stack(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    project: str | None = None,
    check_paths: bool = True,
    profiles: Collection[str] | None = None,
) -> Stack:
    """Read and validate the Compose file at `path`.

    Variables are interpolated from `environ` (default: the process environment) over the
    `.env` file beside the Compose file. The project name is `project`, else the file's
    top-level `name`, else the folder's name, normalised as Compose does. `check_paths=False`
    skips checking that build contexts, Dockerfiles and bind sources exist (the conformance
    test loads files whose folders were not copied); paths are still kept inside the folder.
    The stack holds the services of the enabled profiles only: `profiles`, else those
    COMPOSE_PROFILES names (profiles.py).

    Raises ConfigError (file, line, key path) at the first problem found.
    """
    file = Path(os.path.abspath(path))
    variables = _variables(file.parent, dict(os.environ if environ is None else environ))
    stack, ctx = _read_file(file, str(path), variables, file.parent, check_paths, project, included=False)
    return select_profiles(stack, enabled_profiles(profiles, variables), ctx)


def _read_file(
    file: Path,
    display: str,
    variables: dict[str, str],
    folder: Path,
    check_paths: bool,
    project: str | None,
    *,
    included: bool,
) -> tuple[Stack, LoadContext]:
    """Read one file, with the files it includes, into a validated stack of all its services."""
    root = raw = load_yaml(file, display)
    try:
        root = interpolate_tree(root, variables.get)
    except TreeInterpolationError as exc:
        raise ConfigError(exc.reason, file=display, line=exc.line, key_path=exc.path) from None
    root = resolve_extends(root, file, display, variables)
    ctx = LoadContext(display, folder, variables, check_paths)
    top = At(root, "", root.line, ctx)
    fields = checked(top, TOP_LEVEL)
    name = "" if included else _project_name(project, fields.get("name"), file, display)

    def load_included(other: Path, its_variables: dict[str, str], its_folder: Path) -> Stack:
        return _read_file(other, str(other), its_variables, its_folder, check_paths, None, included=True)[0]

    includes = read_includes(fields["include"], load_included) if "include" in fields else []
    own: dict[str, dict[str, Any]] = {
        "networks": read_networks(fields["networks"]) if "networks" in fields else {},
        "volumes": read_volumes(fields["volumes"]) if "volumes" in fields else {},
        "secrets": read_file_objects(fields["secrets"], "secrets") if "secrets" in fields else {},
        "configs": read_file_objects(fields["configs"], "configs") if "configs" in fields else {},
        "services": {},
    }
    if "services" in fields:
        for service_name, at in entries(fields["services"], allow_null=True).items():
            own["services"][service_name] = read_service(service_name, at)
    joined = join_included(own, includes)
    services, networks = joined["services"], joined["networks"]
    if DEFAULT_NETWORK not in networks and any(
        attachment.network == DEFAULT_NETWORK
        for service in services.values()
        for attachment in service.networks
    ):
        networks = {DEFAULT_NETWORK: Network(DEFAULT_NETWORK), **networks}
    extension = None if included else entries(top).get("x-labkit")
    stack = Stack(
        name=name,
        file=file,
        services=services,
        networks=networks,
        volumes=joined["volumes"],
        exercise=read_exercise(extension) if extension is not None else Exercise(),
        secrets=joined["secrets"],
        configs=joined["configs"],
    )
    validate_stack(stack, ctx)
    check_links(stack, ctx)
    check_references(services, {"secrets": joined["secrets"], "configs": joined["configs"]}, ctx)
    if not included:
        check_parameters(stack, raw, ctx)
    return stack, ctx


def _variables(folder: Path, environ: dict[str, str]) -> dict[str, str]:
    """The interpolation variables: the `.env` beside the file, under the environment."""
    dotenv = folder / ".env"
    if not dotenv.is_file():
        return environ
    return {**read_env_file(dotenv, str(dotenv), environ.get), **environ}


def _project_name(project: str | None, written: At | None, file: Path, display: str) -> str:
    if project is not None:
        return project_name(project)
    if written is not None:
        text = nonempty_string(written)
        name = normalise_project_name(text)
        if not name:
            written.fail(
                f"project name {text!r} has no letters or digits: use lowercase letters, digits, '_' and '-'"
            )
        return name
    name = normalise_project_name(file.parent.name)
    if not name:
        raise ConfigError(
            f"the folder name {file.parent.name!r} gives no project name: set a top-level 'name'",
            file=display,
        )
    return name
