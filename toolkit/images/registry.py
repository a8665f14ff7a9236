"""A registry a cluster pulls course images from, as the user names it: HOST[:PORT][/PATH]."""

from __future__ import annotations

import re

from toolkit.errors import UsageError

_REGISTRY = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._/-][a-z0-9]+)*)?$"
)


def check_registry(registry: str) -> str:
    """Return the registry without a trailing slash; raise UsageError when it is not HOST[:PORT]."""
    cleaned = registry.strip().rstrip("/")
    if "://" in cleaned or not _REGISTRY.match(cleaned):
        raise UsageError(
            f"--registry {registry!r}: give HOST[:PORT] (optionally /PATH), without a scheme, "
            "e.g. --registry registry.lab:5000"
        )
    return cleaned


def registry_ref(registry: str, ref: str) -> str:
    """`ref` (labkit/web:debian-bookworm) as the registry holds it."""
    return f"{registry}/{ref}"
