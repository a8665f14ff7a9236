"""Compose's `security_opt` items, read once for the engines that take them apart.

Docker's API takes the items as Compose writes them; libpod wants each as a field of its own.
Both the loader (to refuse what labkit cannot pass on) and the Podman adapter read them here,
so that the two agree on what an item means.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

_TRUE = ("", "true", "1")
_FALSE = ("false", "0")


@dataclass(frozen=True)
class SecurityOptions:
    """What a container's `security_opt` asks for; None or False: the engine's default."""

    no_new_privileges: bool = False
    seccomp_unconfined: bool = False
    apparmor_profile: str | None = None
    label_disabled: bool = False


def split_option(item: str) -> tuple[str, str]:
    """("seccomp", "unconfined") from "seccomp=unconfined" or "seccomp:unconfined"."""
    for separator in ("=", ":"):
        name, found, value = item.partition(separator)
        if found:
            return name.strip(), value.strip()
    return item.strip(), ""


def option_problem(item: str) -> str:
    """Why labkit cannot pass `item` on to both engines ("" when it can)."""
    name, value = split_option(item)
    if name == "no-new-privileges":
        return "" if value.lower() in _TRUE + _FALSE else f"expected true or false, found {value!r}"
    if name == "seccomp":
        return "" if value == "unconfined" else "only 'seccomp=unconfined' (a profile file is not passed on)"
    if name == "apparmor":
        return "" if value else "name the AppArmor profile, e.g. apparmor=unconfined"
    if name == "label":
        return "" if value == "disable" else "only 'label=disable' (SELinux labels are not passed on)"
    return "expected no-new-privileges, seccomp=unconfined, apparmor=PROFILE or label=disable"


def read_options(items: tuple[str, ...]) -> SecurityOptions:
    """The options `items` ask for; items option_problem refuses are left out."""
    found = SecurityOptions()
    for item in items:
        if option_problem(item):
            continue
        name, value = split_option(item)
        if name == "no-new-privileges":
            found = replace(found, no_new_privileges=value.lower() in _TRUE)
        elif name == "seccomp":
            found = replace(found, seccomp_unconfined=True)
        elif name == "apparmor":
            found = replace(found, apparmor_profile=value)
        elif name == "label":
            found = replace(found, label_disabled=True)
    return found
