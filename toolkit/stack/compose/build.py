"""A service's `build`: a context folder (string form) or context, dockerfile (or
dockerfile_inline), args, target, labels, and platforms (`up` builds for the engine's own only).

`ssh`, `entitlements` and `privileged` grant a build what only BuildKit's own Containerfile
syntax asks for (`RUN --mount=type=ssh`, `RUN --security=insecure`, `RUN --network=host`); the
classic builders labkit drives (Docker's and Podman's) read no such step, so a build labkit can
run never uses them: they are read, checked, and noted as unused in `labkit validate`.
"""

from __future__ import annotations

import re

from toolkit.stack.compose.container_keys import read_platform
from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    boolean,
    checked,
    items,
    key_values,
    nonempty_string,
    string,
    string_list,
    string_map,
)
from toolkit.stack.compose.keys import BUILD
from toolkit.stack.compose.paths import exists, inside_folder, is_file
from toolkit.stack.compose.yaml_source import MapNode, Scalar
from toolkit.stack.model import BuildConfig

_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)


def read_build(at: At) -> BuildConfig:
    """Read `build`; the context must be a folder inside the exercise folder."""
    fields: dict[str, At] = {}
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        context_at, written = at, at.node.value
    elif isinstance(at.node, MapNode):
        fields = checked(at, BUILD)
        context_at = fields.get("context", at)
        written = string(context_at) if "context" in fields else "."
    else:
        at.expected("a context folder or a mapping")
    if _REMOTE.match(written):
        context_at.fail(f"build context {written!r} is remote: {UNSUPPORTED} remote contexts")
    context = inside_folder(context_at, written, "build context")
    exists(context_at, context, "build context", written, folder=True)

    dockerfile: str | None = None
    inline = string(fields["dockerfile_inline"]) if "dockerfile_inline" in fields else None
    if inline is not None:
        # The Containerfile is the text itself: the context needs none.
        if "dockerfile" in fields:
            fields["dockerfile_inline"].fail("give either 'dockerfile' or 'dockerfile_inline', not both")
    elif "dockerfile" in fields and string(fields["dockerfile"]).strip():
        # An empty dockerfile (say, from an unset variable) means the default, as in Compose.
        dockerfile_at = fields["dockerfile"]
        dockerfile = string(dockerfile_at)
        path = inside_folder(dockerfile_at, dockerfile, "dockerfile", base=context)
        exists(dockerfile_at, path, "dockerfile", dockerfile)
    elif at.ctx.check_paths and not any(
        is_file(context_at, context / name, "build context", written)
        for name in ("Dockerfile", "Containerfile")
    ):
        context_at.fail(f"build context {written!r} has no Dockerfile or Containerfile")

    args: dict[str, str] = {}
    if "args" in fields:
        for name, (value, _) in key_values(fields["args"]).items():
            if value is None:
                value = at.ctx.environ.get(name)  # "NAME" alone: from the environment
            if value is not None:
                args[name] = value
    target = nonempty_string(fields["target"]) if "target" in fields else None
    if "platforms" in fields:
        for item in items(fields["platforms"]):
            read_platform(item)  # `up` builds for the engine's own platform only
    return BuildConfig(
        context=context,
        dockerfile=dockerfile,
        args=args,
        target=target,
        dockerfile_inline=inline,
        labels=string_map(fields["labels"]) if "labels" in fields else {},
        platforms=string_list(fields["platforms"]) if "platforms" in fields else (),
        notes=_grants(fields),
    )


def _grants(fields: dict[str, At]) -> tuple[str, ...]:
    """Read what a build is granted and say that labkit's builds do not use it."""
    notes = []
    for key in ("ssh", "entitlements", "privileged"):
        if key in fields:
            if key == "privileged":
                boolean(fields[key])
            elif key == "ssh":
                key_values(fields[key])  # ["default", "id=path"] or {id: path}
            else:
                string_list(fields[key])
            notes.append(
                f"{fields[key].path}: read and unused (only BuildKit steps use it, and labkit "
                "builds with the engine's classic builder)"
            )
    return tuple(notes)
