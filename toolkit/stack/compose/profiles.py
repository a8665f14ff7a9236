"""Compose profiles: which services a load keeps.

A service without `profiles` is always active; one with profiles is active only when one of
them is enabled (`*` enables every profile). The enabled profiles are the ones asked for
(`labkit up --profile NAME`), else those `COMPOSE_PROFILES` lists (comma-separated), read from
the environment over the `.env` file, as Compose reads it. Like `docker compose config`, the
loaded stack holds the active services only, so planning, checks and pictures need not know
about profiles.

An active service that needs an inactive one (`depends_on` unless `required: false`,
`links`, `network_mode: service:NAME`) is refused, as Compose refuses it: enabling a profile
is the user's choice, never a side effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from toolkit.stack.compose.fields import LoadContext
from toolkit.stack.model import Service, Stack

ENVIRONMENT_VARIABLE = "COMPOSE_PROFILES"
ALL = "*"


def enabled_profiles(requested: Collection[str] | None, variables: Mapping[str, str]) -> tuple[str, ...]:
    """The profiles a load enables: `requested`, else `COMPOSE_PROFILES` from `variables`."""
    names = list(requested) if requested else variables.get(ENVIRONMENT_VARIABLE, "").split(",")
    return tuple(dict.fromkeys(name.strip() for name in names if name.strip()))


def is_active(service: Service, enabled: Collection[str]) -> bool:
    """Whether Compose would run `service` with these profiles enabled."""
    if not service.profiles or ALL in enabled:
        return True
    return any(profile in enabled for profile in service.profiles)


def select_profiles(stack: Stack, enabled: tuple[str, ...], ctx: LoadContext) -> Stack:
    """The stack with only the services active under `enabled`; raise ConfigError when an
    active service needs an inactive one."""
    active = {name: service for name, service in stack.services.items() if is_active(service, enabled)}
    if len(active) == len(stack.services):
        return replace(stack, profiles=enabled)
    for service in active.values():
        for needed, path in _needs(service):
            if needed not in active and needed in stack.services:
                raise ctx.error(_inactive(service.name, stack.services[needed]), path)
    # An optional dependency on an inactive service stays, as in Compose's model: the plan
    # leaves it out (plan.py), as it does for one on a service of no file at all.
    inactive = tuple(name for name in stack.services if name not in active)
    return replace(stack, services=active, profiles=enabled, inactive=inactive)


def _needs(service: Service) -> list[tuple[str, str]]:
    """The services `service` cannot run without, each with the key path that names it."""
    base = f"services.{service.name}"
    needs = [(d.service, f"{base}.depends_on.{d.service}") for d in service.depends_on if d.required]
    needs += [(link.service, f"{base}.links") for link in service.links]
    mode = service.network_mode or ""
    if mode.startswith("service:"):
        needs.append((mode.removeprefix("service:"), f"{base}.network_mode"))
    return needs


def _inactive(name: str, needed: Service) -> str:
    listed = ", ".join(needed.profiles)
    first = needed.profiles[0]
    return (
        f"service {name!r} needs service {needed.name!r}, whose profiles ({listed}) are not enabled: "
        f"enable one (--profile {first}, or COMPOSE_PROFILES={first}), or give {name!r} the same profile"
    )
