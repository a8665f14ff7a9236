"""Smaller service keys a single-host engine honours as Compose does, and two it only reads.

`dns_search`, `dns_opt`, `group_add`, `shm_size` and `mac_address` go to the container as
written. `platform` is read as written; `up` runs only the engine's own (stack/engine_fit.py).
`develop` (Compose's file watch) is read and ignored: the
loader leaves a note that `labkit validate` shows.
"""

from __future__ import annotations

import re

from toolkit.stack.compose.fields import (
    At,
    entries,
    items,
    scalar_string,
    size,
    string,
    string_or_list,
)

MAC_ADDRESS = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def read_dns_search(at: At) -> tuple[str, ...]:
    return string_or_list(at)


def read_group_add(at: At) -> tuple[str, ...]:
    """Groups by name or number, as strings."""
    return tuple(scalar_string(item) for item in items(at))


def read_shm_size(at: At) -> int:
    return size(at)


def read_mac_address(at: At) -> str:
    text = string(at)
    if not MAC_ADDRESS.fullmatch(text):
        at.fail(f"expected a MAC address such as 02:42:ac:11:00:02, found {text!r}")
    return text.lower()


def read_platform(at: At) -> str:
    """A platform as `os/arch[/variant]`, kept as written.

    Whether the engine at hand runs it is known there: `up` refuses any but the engine's own
    (stack/engine_fit.py), as `docker compose up` fails where `config` accepts.
    """
    text = string(at)
    parts = text.split("/")
    if not 2 <= len(parts) <= 3 or not all(part.strip() for part in parts):
        at.fail(f"invalid platform {text!r}: expected os/arch or os/arch/variant, e.g. linux/amd64")
    return text


def read_develop(at: At) -> str:
    """Read `develop` and return the note that says it is ignored."""
    entries(at, allow_null=True)
    return f"{at.path}: read and ignored (labkit does not watch files; rerun `labkit up` after a change)"
