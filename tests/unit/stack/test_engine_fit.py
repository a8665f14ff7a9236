"""What the engine at hand lacks (a runtime, a log driver or option) is refused before `up`."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.runtime.specs import EngineInfo, LoggingSpec
from toolkit.stack.engine_fit import check_engine_fit, fit_problem
from toolkit.stack.model import BuildConfig, Service, Stack

DOCKER = EngineInfo(
    "docker", "20.10.24", "1.41", False, "", "linux", "amd64", runtimes=("runc", "io.containerd.runc.v2"),
    log_drivers={"none": None, "json-file": None, "local": None},
)  # fmt: skip
PODMAN = EngineInfo(
    "podman", "4.3.1", "4.3.1", False, "", "linux", "amd64", runtimes=("runc",),
    log_drivers={"k8s-file": ("max-size", "max-file", "tag"), "json-file": ("max-size", "max-file", "tag"),
                 "none": ()},
)  # fmt: skip


def service(**settings: object) -> Service:
    return Service(name="web", image="x", **settings)  # type: ignore[arg-type]


def test_what_each_engine_has_passes() -> None:
    rotated = LoggingSpec("json-file", {"max-size": "1m", "max-file": "2"})
    for engine in (DOCKER, PODMAN):
        assert fit_problem(engine, service(runtime="runc", logging=rotated)) == ""
        assert fit_problem(engine, service(logging=LoggingSpec("none"))) == ""
        assert fit_problem(engine, service(logging=LoggingSpec(None, {"max-size": "1m"}))) == ""
    assert fit_problem(DOCKER, service(runtime="io.containerd.runc.v2")) == ""
    assert fit_problem(PODMAN, service(platform="LINUX/amd64")) == ""
    built = BuildConfig(Path("."), platforms=("linux/amd64",))
    assert fit_problem(DOCKER, service(platform="linux/amd64/v2", build=built)) == ""


@pytest.mark.parametrize(
    ("engine", "settings", "said"),
    [
        (DOCKER, {"runtime": "io.containerd.wasmedge.v1"},
         "runtime 'io.containerd.wasmedge.v1' is not one docker 20.10.24 has "
         "(it has: runc, io.containerd.runc.v2)"),
        (PODMAN, {"runtime": "io.containerd.runc.v2"}, "is not one podman 4.3.1 has (it has: runc)"),
        (PODMAN, {"logging": LoggingSpec("local")},
         "log driver 'local' is not one podman 4.3.1 can use here (it can: json-file, k8s-file, none)"),
        (PODMAN, {"logging": LoggingSpec("json-file", {"compress": "true"})},
         "logging option 'compress' of driver 'json-file' is not one podman 4.3.1 honours"),
        (DOCKER, {"logging": LoggingSpec("k8s-file")}, "log driver 'k8s-file' is not one docker"),
        (PODMAN, {"platform": "wasi/wasm"},
         "platform 'wasi/wasm' is not the platform of podman 4.3.1 (linux/amd64): labkit runs and builds"),
        (DOCKER, {"build": BuildConfig(Path("."), platforms=("linux/amd64", "linux/arm64"))},
         "build.platforms 'linux/arm64' is not the platform of docker 20.10.24 (linux/amd64)"),
    ],
)  # fmt: skip
def test_what_an_engine_lacks_is_named(engine: EngineInfo, settings: dict[str, object], said: str) -> None:
    assert said in fit_problem(engine, service(**settings))


def test_check_names_the_file_and_service() -> None:
    stack = Stack("p", Path("/labs/x/compose.yaml"), {"web": service(runtime="kata")}, {}, {})
    with pytest.raises(UsageError, match=r"^/labs/x/compose.yaml: service web: runtime 'kata'"):
        check_engine_fit(PODMAN, stack, ["web"])


def test_only_a_service_naming_a_platform_runtime_or_logging_needs_the_engines_facts() -> None:
    from toolkit.stack.engine_fit import asks_of_the_engine

    assert not asks_of_the_engine(service())
    assert asks_of_the_engine(service(platform="linux/amd64"))
    assert asks_of_the_engine(service(runtime="runc"))
    assert asks_of_the_engine(service(logging=LoggingSpec("none")))
    assert asks_of_the_engine(service(build=BuildConfig(context=Path("."), platforms=("linux/amd64",))))
