"""The service keys the engine carries out as written (logging, security_opt, runtime, restart
retries), build's dockerfile_inline, labels and platforms, explicit network and volume names,
and bind mounts outside the exercise folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError, UsageError
from toolkit.runtime.security import SecurityOptions, read_options
from toolkit.runtime.specs import LoggingSpec
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Network, Service, Stack, VolumeMount
from toolkit.stack.orchestrator import preflight

from .compose_files import one_service_file

ENVIRON = {"HOME": "/home/student"}


def _stack(tmp_path: Path, body: str, tail: str = "", **files: str) -> Stack:
    compose = one_service_file(tmp_path, body, tail, **files)
    return load_stack(compose, environ=ENVIRON)


def _service(tmp_path: Path, body: str, tail: str = "", **files: str) -> Service:
    return _stack(tmp_path, body, tail, **files).services["a"]


def _error(tmp_path: Path, body: str, tail: str = "") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        _stack(tmp_path, body, tail)
    return caught.value


def test_logging_driver_and_options_as_text(tmp_path: Path) -> None:
    service = _service(
        tmp_path,
        "image: alpine\nlogging:\n  driver: json-file\n  options:\n    max-size: 10m\n    max-file: 3",
    )
    assert service.logging == LoggingSpec("json-file", {"max-size": "10m", "max-file": "3"})
    assert _service(tmp_path, "image: alpine\nlogging: {driver: none}").logging == LoggingSpec("none")
    assert _service(tmp_path, "image: alpine").logging is None


def test_logging_rotation_options_are_checked(tmp_path: Path) -> None:
    error = _error(tmp_path, "image: alpine\nlogging:\n  options:\n    max-size: lots")
    assert "max-size 'lots': expected a size such as 10m" in error.reason
    assert error.key_path == "services.a.logging.options.max-size"
    assert "unknown key 'drivr'" in _error(tmp_path, "image: alpine\nlogging: {drivr: none}").reason


def test_security_opt_kept_as_written_and_read_once(tmp_path: Path) -> None:
    written = ("no-new-privileges:true", "seccomp=unconfined", "apparmor=unconfined", "label=disable")
    service = _service(tmp_path, "image: alpine\nsecurity_opt: [" + ", ".join(written) + "]")
    assert service.security_opt == written
    assert read_options(service.security_opt) == SecurityOptions(True, True, "unconfined", True)
    assert read_options(("no-new-privileges=false",)) == SecurityOptions()


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("seccomp=/etc/profile.json", "only 'seccomp=unconfined'"),
        ("label=type:svirt_t", "only 'label=disable'"),
        ("no-new-privileges:maybe", "expected true or false"),
        ("systempaths=unconfined", "expected no-new-privileges, seccomp=unconfined"),
    ],
)
def test_security_opt_refusals_name_the_item(tmp_path: Path, item: str, reason: str) -> None:
    error = _error(tmp_path, f"image: alpine\nsecurity_opt: ['{item}']")
    assert f"security_opt '{item}': labkit does not support it" in error.reason
    assert reason in error.reason
    assert error.key_path == "services.a.security_opt[0]"


def test_runtime_is_read_as_written(tmp_path: Path) -> None:
    assert _service(tmp_path, "image: alpine\nruntime: runc").runtime == "runc"
    assert "must not be empty" in _error(tmp_path, "image: alpine\nruntime: ''").reason


@pytest.mark.parametrize(
    ("body", "policy", "retries"),
    [
        ("restart: on-failure:2", "on-failure", 2),
        ("restart: unless-stopped", "unless-stopped", None),
        ("deploy:\n  restart_policy:\n    condition: on-failure\n    max_attempts: 2", "on-failure", 2),
        ("deploy:\n  restart_policy:\n    condition: any", "always", None),
        ("deploy:\n  restart_policy: {}", "always", None),
        ("deploy:\n  restart_policy:\n    condition: none", "no", None),
        ("restart: 'no'\ndeploy:\n  restart_policy:\n    condition: any", "no", None),  # restart wins
        ("deploy: {replicas: 1}", "no", None),
    ],
)
def test_restart_with_retries(tmp_path: Path, body: str, policy: str, retries: int | None) -> None:
    service = _service(tmp_path, "image: alpine\n" + body)
    assert (service.restart, service.restart_retries) == (policy, retries)


def test_restart_policy_refusals(tmp_path: Path) -> None:
    delay = _error(tmp_path, "image: alpine\ndeploy:\n  restart_policy:\n    delay: 5s")
    assert "unsupported Compose key 'delay'" in delay.reason
    always = _error(
        tmp_path, "image: alpine\ndeploy:\n  restart_policy:\n    condition: any\n    max_attempts: 2"
    )
    assert "max_attempts with condition 'any'" in always.reason


def test_build_dockerfile_inline_labels_and_host_platform(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    service = _service(
        tmp_path,
        "build:\n  context: empty\n  dockerfile_inline: |\n    FROM alpine\n    RUN true\n"
        "  labels: [team=lab]\n  platforms: [linux/amd64, linux/arm64/v8]",
    )
    assert service.build is not None
    assert service.build.dockerfile_inline == "FROM alpine\nRUN true\n"
    assert (service.build.dockerfile, dict(service.build.labels)) == (None, {"team": "lab"})
    assert service.build.platforms == ("linux/amd64", "linux/arm64/v8")  # `up` checks them


def test_build_refusals(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\n")
    both = _error(
        tmp_path, "build:\n  context: .\n  dockerfile: Dockerfile\n  dockerfile_inline: FROM alpine"
    )
    assert "either 'dockerfile' or 'dockerfile_inline'" in both.reason
    foreign = _error(tmp_path, "build:\n  context: .\n  platforms: [linux/amd64, amd64]")
    assert "invalid platform 'amd64': expected os/arch or os/arch/variant" in foreign.reason
    missing = _error(tmp_path, "platform: linux/riscv64\nbuild:\n  context: .\n  platforms: [linux/amd64]")
    assert "build.platforms must include the service's platform 'linux/riscv64'" in missing.reason
    assert foreign.key_path == "services.a.build.platforms[1]"


def test_explicit_network_and_volume_names(tmp_path: Path) -> None:
    stack = _stack(
        tmp_path,
        "image: alpine\nnetworks: [front]\nvolumes: [data:/data]",
        "networks:\n  front:\n    name: shared-front\nvolumes:\n  data:\n    name: shared-data\n",
    )
    assert stack.networks["front"].explicit_name == "shared-front"
    assert stack.volumes["data"].explicit_name == "shared-data"
    bad = _error(tmp_path, "image: alpine", "networks:\n  front:\n    name: 'a b'\n")
    assert "invalid name 'a b'" in bad.reason


def test_bind_mounts_outside_the_folder_load_as_compose_reads_them(tmp_path: Path) -> None:
    """The loader accepts them; `up` refuses them without --allow-host-paths (test_safety)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    exercise = tmp_path / "exercise"
    exercise.mkdir()
    lines = f"image: alpine\nvolumes: ['{outside}:/o', '../outside:/r:ro', '~/cfg:/c']"
    (exercise / "compose.yaml").write_text(
        "services:\n  a:\n" + "".join(f"    {line}\n" for line in lines.splitlines())
    )
    stack = load_stack(exercise / "compose.yaml", environ=ENVIRON, check_paths=False)
    assert stack.services["a"].volumes == (
        VolumeMount("bind", "/o", str(outside)),
        VolumeMount("bind", "/r", str(outside), True),
        VolumeMount("bind", "/c", "/home/student/cfg"),
    )


def test_build_grants_are_read_and_noted_as_unused(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\n")
    service = _service(
        tmp_path,
        "build:\n  context: .\n  ssh: [default, key=./id_rsa]\n  entitlements: [security.insecure]\n"
        "  privileged: true\ndevelop: {}",
    )
    assert [note.split(":")[0] for note in service.notes] == [
        "services.a.develop",
        "services.a.build.ssh",
        "services.a.build.entitlements",
        "services.a.build.privileged",
    ]
    assert "only BuildKit steps use it" in service.notes[1]
    assert "expected a boolean" in _error(tmp_path, "build:\n  context: .\n  privileged: maybe").reason


@pytest.mark.parametrize(
    ("volume", "shown"),
    [
        ("../../etc:/host-etc", "{root}/etc"),  # climbs out of exercise/lab
        ("/etc/passwd:/etc/passwd:ro", "/etc/passwd"),
        ("./data:/data", "{root}/exercise/lab/data"),  # a symlink to a folder outside
        ("~/secrets:/secrets", "/home/student/secrets"),
    ],
)
def test_host_paths_outside_the_folder_are_refused_at_up_unless_allowed(
    tmp_path: Path, volume: str, shown: str
) -> None:
    """What the loader refused before now loads, and `up`'s preflight refuses it by default."""
    root = tmp_path / "course"
    exercise = root / "exercise" / "lab"
    exercise.mkdir(parents=True)
    (root / "elsewhere").mkdir()
    (exercise / "data").symlink_to(root / "elsewhere")
    (exercise / "compose.yaml").write_text(f"services:\n  a:\n    image: alpine\n    volumes: ['{volume}']\n")
    stack = load_stack(exercise / "compose.yaml", environ=ENVIRON, check_paths=False)
    with pytest.raises(UsageError) as refused:
        preflight(stack)
    assert f"service 'a' bind-mounts {shown.format(root=root)}, a host path outside" in str(refused.value)
    preflight(stack, allow_host_paths=True)


def test_volume_driver_opts_with_a_bound_device_read_from_the_folder(tmp_path: Path) -> None:
    stack = _stack(
        tmp_path,
        "image: alpine\nvolumes: [data:/data, scratch:/s]",
        "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: ./store}\n"
        "  scratch:\n    driver_opts: {type: tmpfs, device: tmpfs, o: 'size=1m'}\n",
    )
    assert stack.volumes["data"].driver_opts == {
        "type": "none",
        "o": "bind",
        "device": str(tmp_path / "store"),
    }
    assert stack.volumes["scratch"].driver_opts == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


def test_external_networks_are_joined_by_name(tmp_path: Path) -> None:
    stack = _stack(
        tmp_path,
        "image: alpine\nnetworks: [shared, plain]",
        "networks:\n  shared:\n    external: true\n    name: lab-shared\n  plain:\n    external: true\n",
    )
    assert stack.networks["shared"] == Network("shared", external=True, explicit_name="lab-shared")
    assert stack.networks["plain"].explicit_name == "plain"  # no name: the key itself
    mixed = _error(tmp_path, "image: alpine", "networks:\n  n:\n    external: true\n    internal: true\n")
    assert "an external network takes only 'name' beside 'external', found 'internal'" in mixed.reason
    old = _error(tmp_path, "image: alpine", "networks:\n  n:\n    external: {name: x}\n")
    assert "labkit does not support this old form" in old.reason
