"""Refuse, before `up` creates anything, what the engine at hand cannot run as written.

A Compose file may name an OCI runtime (`runtime`) or a log driver (`logging.driver`, with
options) that one engine has and the other lacks, or a platform (`platform`, `build.platforms`)
other than the engine's own, which labkit neither emulates nor builds for. Each adapter says
what its engine has (`EngineInfo.runtimes`, `log_drivers`, `os` and `arch`); this module
compares, so that the refusal names the service, the key, the engine and what it has instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from toolkit.errors import UsageError
from toolkit.runtime.specs import EngineInfo
from toolkit.stack.model import Service, Stack


def asks_of_the_engine(service: Service) -> bool:
    """Whether `service` names something only the engine's facts can judge (a platform, a
    runtime, logging): for a stack with none, `up` asks the engine nothing more."""
    built = service.build.platforms if service.build else ()
    return bool(service.platform or built or service.runtime is not None or service.logging is not None)


def check_engine_fit(engine: EngineInfo, stack: Stack, services: Iterable[str]) -> None:
    """Raise UsageError for the first service the engine cannot run as written."""
    for name in services:
        problem = fit_problem(engine, stack.services[name])
        if problem:
            raise UsageError(f"{stack.file}: service {name}: {problem}")


def fit_problem(engine: EngineInfo, service: Service) -> str:
    """What `engine` lacks for `service`, in one sentence with what to do ("" if nothing)."""
    where = f"{engine.name} {engine.version}".strip()
    own = f"{engine.os}/{engine.arch}".lower()
    wanted = [("platform", service.platform)] if service.platform else []
    wanted += [("build.platforms", p) for p in (service.build.platforms if service.build else ())]
    for key, platform in wanted:
        if "/".join(platform.lower().split("/")[:2]) != own:
            return (
                f"{key} {platform!r} is not the platform of {where} ({own}): labkit runs and builds "
                f"for the engine's own platform only; remove it or write {own}"
            )
    if service.runtime is not None and service.runtime not in engine.runtimes:
        has = ", ".join(engine.runtimes) or "none listed"
        return (
            f"runtime {service.runtime!r} is not one {where} has (it has: {has}); "
            "install and register it with the engine, or remove `runtime`"
        )
    logging = service.logging
    if logging is None or logging.driver is None and not logging.options:
        return ""
    driver = logging.driver or _default_driver(engine)
    if driver not in engine.log_drivers:
        return (
            f"log driver {driver!r} is not one {where} can use here "
            f"(it can: {', '.join(sorted(engine.log_drivers))}); choose one of those or remove `logging`"
        )
    takes = engine.log_drivers[driver]
    if takes is not None:
        for option in logging.options:
            if option not in takes:
                offered = ", ".join(takes) or "none"
                return (
                    f"logging option {option!r} of driver {driver!r} is not one {where} honours "
                    f"(it takes: {offered}); remove it"
                )
    return ""


def _default_driver(engine: EngineInfo) -> str:
    # Options without a driver go to the engine's default: json-file (Docker), k8s-file (Podman).
    return "json-file" if "json-file" in engine.log_drivers else next(iter(engine.log_drivers), "")
