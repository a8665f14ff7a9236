"""logging, security_opt, runtime and restart retries as each adapter hands them to its engine."""

from __future__ import annotations

import pytest

from toolkit.runtime.docker.convert import engine_capabilities, host_config_args
from toolkit.runtime.podman.options import log_size, options_document
from toolkit.runtime.specs import ContainerSpec, LoggingSpec

OPTIONS = ("no-new-privileges:true", "seccomp=unconfined", "apparmor=unconfined", "label=disable")


def spec(**settings: object) -> ContainerSpec:
    return ContainerSpec(image="x", name="c", **settings)  # type: ignore[arg-type]


def test_docker_takes_them_as_compose_writes_them() -> None:
    args = host_config_args(
        spec(
            logging=LoggingSpec("json-file", {"max-size": "1m"}),
            security_opt=OPTIONS,
            runtime="runc",
            restart="on-failure",
            restart_retries=2,
        )
    )
    assert args["log_config"] == {"Type": "json-file", "Config": {"max-size": "1m"}}
    assert args["security_opt"] == list(OPTIONS)
    assert args["runtime"] == "runc"
    assert args["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    plain = host_config_args(spec())
    assert (plain["log_config"], plain["security_opt"], plain["runtime"], plain["restart_policy"]) == (
        None, None, None, None,
    )  # fmt: skip


def test_docker_reports_its_runtimes_default_first_and_none_among_log_drivers() -> None:
    found = engine_capabilities(
        {"DefaultRuntime": "runc", "Runtimes": {"io.containerd.runc.v2": {}, "runc": {}},
         "Plugins": {"Log": ["json-file", "local"]}}
    )  # fmt: skip
    assert found["runtimes"] == ("runc", "io.containerd.runc.v2")
    assert list(found["log_drivers"]) == ["none", "json-file", "local"]


def test_podman_takes_them_apart() -> None:
    document = options_document(
        spec(
            logging=LoggingSpec("json-file", {"max-size": "1m", "max-file": "3", "tag": "web"}),
            security_opt=OPTIONS,
            runtime="runc",
            restart="on-failure",
            restart_retries=2,
        )
    )
    assert document == {
        # One file of max-size times max-file bytes: Docker's bound on the log's disk use.
        "log_configuration": {"driver": "k8s-file", "size": 3 * 1024**2, "options": {"tag": "web"}},
        "no_new_privileges": True,
        "seccomp_profile_path": "unconfined",
        "apparmor_profile": "unconfined",
        "selinux_opts": ["disable"],
        "oci_runtime": "runc",
        "restart_tries": 2,
    }
    assert options_document(spec()) == {}
    assert options_document(spec(logging=LoggingSpec("none"))) == {"log_configuration": {"driver": "none"}}


@pytest.mark.parametrize(("text", "size"), [("10", 10), ("1k", 1024), ("2m", 2 * 1024**2), ("1g", 1024**3)])
def test_log_sizes_are_docker_binary_units(text: str, size: int) -> None:
    assert log_size(text) == size
