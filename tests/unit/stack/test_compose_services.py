"""Service fields in their short and long forms, read into the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.runtime.specs import HealthcheckSpec, Ulimit
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Dependency, PortMapping, Service, ServiceNetwork, VolumeMount

from .compose_files import one_service_file

ENVIRON = {"HOME": "/home/student", "GREETING": "hello"}


def _service(tmp_path: Path, body: str, tail: str = "", **files: str) -> Service:
    """Load a file with one service `a` whose keys are `body` (indented by the helper)."""
    compose = one_service_file(tmp_path, body, tail, **files)
    # Every profile enabled: a service is read the same whatever its profiles.
    return load_stack(compose, environ=ENVIRON, profiles=["*"]).services["a"]


def _error(tmp_path: Path, body: str, tail: str = "") -> str:
    with pytest.raises(ConfigError) as caught:
        _service(tmp_path, body, tail)
    return caught.value.reason


def test_command_strings_are_split_like_a_shell_not_wrapped(tmp_path: Path) -> None:
    service = _service(
        tmp_path, "image: alpine\ncommand: echo \"hi there\" 'x y' $$HOME\nentrypoint: /bin/sh -c"
    )
    assert service.command == ("echo", "hi there", "x y", "$HOME")
    assert service.entrypoint == ("/bin/sh", "-c")


@pytest.mark.parametrize(
    ("written", "argv"),
    [("[sleep, infinity]", ("sleep", "infinity")), ("[]", ()), ('""', ()), ("null", None)],
)
def test_command_forms(tmp_path: Path, written: str, argv: tuple[str, ...] | None) -> None:
    assert _service(tmp_path, f"image: alpine\ncommand: {written}").command == argv


def test_environment_map_and_list_forms(tmp_path: Path) -> None:
    as_map = _service(
        tmp_path, "image: alpine\nenvironment:\n  A: 1\n  B: true\n  C: ''\n  GREETING:\n  UNSET:"
    )
    assert as_map.environment == {"A": "1", "B": "true", "C": "", "GREETING": "hello"}
    as_list = _service(tmp_path, "image: alpine\nenvironment: [A=1, B=x=y, GREETING, UNSET]")
    assert as_list.environment == {"A": "1", "B": "x=y", "GREETING": "hello"}


def test_env_files_are_merged_under_environment(tmp_path: Path) -> None:
    service = _service(
        tmp_path,
        "image: alpine\nenv_file: [base.env, {path: more.env}, {path: none.env, required: false}]\n"
        "environment: [SHARED=from environment, FROM_BASE]",
        **{"base.env": "FROM_BASE=base\nSHARED=base\nKEEP=1\n", "more.env": "KEEP=2\n"},
    )
    # FROM_BASE alone asks the environment, which lacks it: Compose then leaves it unset.
    assert service.environment == {"SHARED": "from environment", "KEEP": "2"}


def test_labels_and_sysctls_list_and_map(tmp_path: Path) -> None:
    service = _service(tmp_path, "image: alpine\nlabels: [x=y, bare]\nsysctls: {net.ipv4.ip_forward: 1}")
    assert service.labels == {"x": "y", "bare": ""}
    assert service.sysctls == {"net.ipv4.ip_forward": "1"}


def test_short_and_long_ports(tmp_path: Path) -> None:
    service = _service(
        tmp_path,
        "image: alpine\nports:\n"
        "  - 8080:80\n"
        "  - 127.0.0.1:8081:81/udp\n"
        "  - '82'\n"
        "  - 83\n"
        "  - 8000-8001:90-91\n"
        "  - '[::1]:8443:443'\n"
        "  - target: 99\n    published: '9999'\n    host_ip: 0.0.0.0\n    protocol: udp",
    )
    assert service.ports == (
        PortMapping(80, 8080),
        PortMapping(81, 8081, "127.0.0.1", "udp"),
        PortMapping(82),
        PortMapping(83),
        PortMapping(90, 8000),
        PortMapping(91, 8001),
        PortMapping(443, 8443, "::1"),
        PortMapping(99, 9999, "0.0.0.0", "udp"),
    )


def test_short_and_long_volumes(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    service = _service(
        tmp_path,
        "image: alpine\nvolumes:\n"
        "  - ./data:/data:ro\n"
        "  - .:/exercise/\n"
        "  - cache:/cache\n"
        "  - /anonymous\n"
        "  - type: tmpfs\n    target: /t\n"
        "  - type: bind\n    source: data\n    target: /d\n    read_only: true\n"
        "  - type: volume\n    target: /v\n",
        "volumes:\n  cache:\n",
    )
    assert service.volumes == (
        VolumeMount("bind", "/data", str(tmp_path / "data"), True),
        VolumeMount("bind", "/exercise", str(tmp_path)),
        VolumeMount("volume", "/cache", "cache"),
        VolumeMount("volume", "/anonymous"),
        VolumeMount("tmpfs", "/t"),
        VolumeMount("bind", "/d", str(tmp_path / "data"), True),
        VolumeMount("volume", "/v"),
    )


def test_build_short_and_long(tmp_path: Path) -> None:
    files = {"img/Dockerfile": "FROM scratch\n", "img/Other": "FROM scratch\n"}
    short = _service(tmp_path, "build: img", **files)
    assert short.build is not None and short.build.context == tmp_path / "img"
    assert short.build.dockerfile is None
    long = _service(
        tmp_path,
        "build:\n  context: ./img\n  dockerfile: Other\n  args: [X=1, GREETING, UNSET]\n  target: t",
    )
    assert long.build is not None
    assert (long.build.dockerfile, dict(long.build.args), long.build.target) == (
        "Other",
        {"X": "1", "GREETING": "hello"},
        "t",
    )


def test_healthcheck_forms_and_compose_defaults(tmp_path: Path) -> None:
    shell = _service(tmp_path, "image: alpine\nhealthcheck:\n  test: curl -f http://x")
    assert shell.healthcheck == HealthcheckSpec(("CMD-SHELL", "curl -f http://x"))
    assert (shell.healthcheck.interval, shell.healthcheck.timeout) == (30.0, 30.0)
    assert (shell.healthcheck.retries, shell.healthcheck.start_interval) == (3, 5.0)
    timed = _service(
        tmp_path,
        "image: alpine\nhealthcheck:\n  test: [CMD, pg_isready]\n  interval: 1m30s\n"
        "  timeout: 500ms\n  retries: 5\n  start_period: 10s\n  start_interval: 1s",
    )
    assert timed.healthcheck == HealthcheckSpec(("CMD", "pg_isready"), 90.0, 0.5, 5, 10.0, 1.0)
    for off in ("disable: true", "test: [NONE]"):
        disabled = _service(tmp_path, f"image: alpine\nhealthcheck:\n  {off}")
        assert disabled.healthcheck is not None and disabled.healthcheck.disabled


def test_depends_on_list_and_map(tmp_path: Path) -> None:
    tail = "  b:\n    image: alpine\n  c:\n    image: alpine\n"
    listed = _service(tmp_path, "image: alpine\ndepends_on: [b, c]", tail)
    assert listed.depends_on == (Dependency("b"), Dependency("c"))
    mapped = _service(
        tmp_path,
        "image: alpine\ndepends_on:\n  b: {condition: service_healthy}\n"
        "  c: {condition: service_completed_successfully, required: false}",
        tail,
    )
    assert mapped.depends_on == (
        Dependency("b", "service_healthy"),
        Dependency("c", "service_completed_successfully", required=False),
    )


def test_networks_list_and_map(tmp_path: Path) -> None:
    tail = "networks:\n  lan:\n    ipam:\n      config:\n        - subnet: 10.1.0.0/24\n  wan: {}\n"
    listed = _service(tmp_path, "image: alpine\nnetworks: [lan, wan]", tail)
    assert listed.networks == (ServiceNetwork("lan"), ServiceNetwork("wan"))
    mapped = _service(
        tmp_path,
        "image: alpine\nnetworks:\n  lan:\n    ipv4_address: 10.1.0.5\n    aliases: [www]\n  wan:",
        tail,
    )
    assert mapped.networks == (ServiceNetwork("lan", "10.1.0.5", ("www",)), ServiceNetwork("wan"))


def test_resources_and_deploy_limits(tmp_path: Path) -> None:
    direct = _service(
        tmp_path,
        "image: alpine\nmem_limit: 512m\ncpus: 0.5\npids_limit: 100\n"
        "ulimits:\n  nofile: 1024\n  nproc: {soft: 10, hard: 20}",
    )
    assert (direct.mem_limit, direct.cpus, direct.pids_limit) == (512 * 1024**2, 0.5, 100)
    assert direct.ulimits == (Ulimit("nofile", 1024, 1024), Ulimit("nproc", 10, 20))
    deployed = _service(
        tmp_path, "image: alpine\ndeploy:\n  resources:\n    limits: {cpus: '0.25', memory: 1g, pids: 50}"
    )
    assert (deployed.mem_limit, deployed.cpus, deployed.pids_limit) == (1024**3, 0.25, 50)


def test_the_remaining_scalar_fields(tmp_path: Path) -> None:
    service = _service(
        tmp_path,
        "image: alpine\nhostname: h\ndomainname: lab\ndns: 10.0.0.53\n"
        "extra_hosts: ['db:10.0.0.2', 'web=10.0.0.3']\ncap_add: [NET_ADMIN]\ncap_drop: [ALL]\n"
        "privileged: 'yes'\nworking_dir: /w\nuser: '1000'\ninit: true\ntty: true\n"
        "stdin_open: true\nrestart: unless-stopped\nstop_grace_period: 1m\n"
        "pull_policy: if_not_present\nexpose: [80, 81/udp]\nprofiles: [debug]\n"
        "read_only: true\ntmpfs: /run\nipc: private\npid: host\ndevices: [/dev/null]",
    )
    assert (service.hostname, service.domainname, service.dns) == ("h", "lab", ("10.0.0.53",))
    assert service.extra_hosts == (("db", "10.0.0.2"), ("web", "10.0.0.3"))
    assert (service.cap_add, service.cap_drop, service.privileged) == (("NET_ADMIN",), ("ALL",), True)
    assert (service.working_dir, service.user, service.init, service.tty) == ("/w", "1000", True, True)
    assert (service.stdin_open, service.restart, service.stop_grace_period) == (True, "unless-stopped", 60.0)
    assert (service.pull_policy, service.expose) == ("missing", ("80", "81/udp"))
    assert (service.profiles, service.read_only, service.tmpfs) == (("debug",), True, ("/run",))
    assert (service.ipc, service.pid) == ("private", "host")
    assert service.devices == ("/dev/null",)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("image: alpine\nimagee: x", "unknown key 'imagee' (did you mean 'image'?)"),
        (
            "image: alpine\nsecrets: [pw]",
            "service 'a' uses secret 'pw', which the top-level 'secrets' does not",
        ),
        ("image: alpine\nsecurity_opt: [x]", "security_opt 'x': labkit does not support it"),
        ("image: alpine\nlogging: {options: {max-file: 0}}", "max-file '0': expected a number of files"),
        ("image: alpine\nhostname: 5", "expected a string, found integer 5"),
        ("image: alpine\ninit: maybe", "expected a boolean (true or false), found string 'maybe'"),
        ("image: alpine\nports: ['8000-8001:80']", "publishes a range of host ports"),
        ("image: alpine\nrestart: on-failure:x", "expected on-failure:N"),
        ("image: alpine\ndeploy: {replicas: 2}", "labkit does not support more or fewer than one container"),
        ("image: alpine\nhealthcheck:\n  disable: true\n  test: [CMD, x]", "cannot be combined"),
        ("image: alpine\ncpus: 0", "must be more than 0"),
    ],
)
def test_refusals(tmp_path: Path, body: str, reason: str) -> None:
    assert reason in _error(tmp_path, body)
