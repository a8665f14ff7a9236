"""Smaller service keys a single-host engine honours as Compose does, and two it only reads.

`dns_search`, `dns_opt`, `group_add`, `shm_size` and `mac_address` go to the container as
written. `platform` is accepted when it is the host's own (labkit builds and runs for this
host only) and refused otherwise. `develop` (Compose's file watch) is read and ignored: the
loader leaves a note that `labkit validate` shows.
"""

from __future__ import annotations

import platform as host_platform
import re

from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    entries,
    items,
    scalar_string,
    size,
    string,
    string_or_list,
)

MAC_ADDRESS = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
# Python's name for the machine -> the OCI architecture Compose writes.
_ARCHITECTURES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


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


def host_platform_name() -> str:
    """This host's platform as Compose writes it, e.g. linux/amd64."""
    machine = host_platform.machine()
    return f"linux/{_ARCHITECTURES.get(machine, machine)}"


def read_platform(at: At) -> str:
    """A platform equal to the host's (linux/amd64 here); any other is refused."""
    text = string(at)
    wanted = text.lower().split("/")
    host = host_platform_name()
    if wanted[:2] != host.split("/"):
        at.fail(f"platform {text!r}: {UNSUPPORTED} a platform other than this host's ({host}); remove it")
    return text


def read_develop(at: At) -> str:
    """Read `develop` and return the note that says it is ignored."""
    entries(at, allow_null=True)
    return f"{at.path}: read and ignored (labkit does not watch files; rerun `labkit up` after a change)"
