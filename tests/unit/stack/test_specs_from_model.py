"""From a service to its container spec: settings pass through, namespaces and devices too."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from toolkit.errors import ConfigError
from toolkit.runtime.specs import (
    ContainerSettings,
    ContainerSpec,
    HealthcheckSpec,
    ImageInfo,
    LoggingSpec,
    NetworkSpec,
    Ulimit,
    settings_of,
)
from toolkit.stack.model import Network, PortMapping, Service, Stack
from toolkit.stack.specs_from_model import ResolvedService, check_supported, resolve_service

FILE = Path("/labs/x/compose.yaml")


def resolve(service: Service) -> ResolvedService:
    stack = Stack("x", FILE, {service.name: service}, {"default": Network("default")}, {})
    return resolve_service(
        stack,
        service,
        project="alice",
        exercise="x",
        image=ImageInfo(id="sha256:1"),
        image_ref="lab/box",
        networks={"default": NetworkSpec("alice-default")},
    )


# A value unlike the default for every ContainerSettings field.
SETTINGS: dict[str, Any] = {
    "hostname": "box",
    "domainname": "lab.test",
    "command": ("sleep", "1"),
    "entrypoint": ("/bin/sh", "-c"),
    "environment": {"A": "1"},
    "dns": ("10.0.0.53",),
    "extra_hosts": (("gw", "10.0.0.1"),),
    "cap_add": ("NET_ADMIN",),
    "cap_drop": ("MKNOD",),
    "privileged": True,
    "sysctls": {"net.ipv4.ip_forward": "1"},
    "working_dir": "/srv",
    "user": "student",
    "init": True,
    "tty": True,
    "stdin_open": True,
    "healthcheck": HealthcheckSpec(("CMD", "true"), interval=1.0),
    "read_only": True,
    "ulimits": (Ulimit("nofile", 1024, 2048),),
    "mem_limit": 1 << 26,
    "cpus": 0.5,
    "pids_limit": 64,
    "restart": "on-failure",
    "devices": ("/dev/net/tun", "/dev/fuse:/dev/lab-fuse:rw"),
    "stop_signal": "SIGINT",
    "dns_search": ("lab.test",),
    "dns_opt": ("ndots:2",),
    "group_add": ("audio",),
    "shm_size": 1 << 27,
    "mac_address": "02:42:ac:11:00:09",
    "logging": LoggingSpec("json-file", {"max-size": "1m"}),
    "security_opt": ("no-new-privileges:true",),
    "runtime": "runc",
    "restart_retries": 2,
}


def test_every_container_setting_passes_through_unchanged() -> None:
    assert set(SETTINGS) == {item.name for item in fields(ContainerSettings)}
    defaults = ContainerSettings()
    assert all(value != getattr(defaults, name) for name, value in SETTINGS.items())
    spec = resolve(Service("box", image="lab/box", **SETTINGS)).container
    assert settings_of(spec) == SETTINGS


def test_what_a_spec_derives_from_a_service() -> None:
    service = Service(
        "box",
        image="lab/box",
        ports=(PortMapping(80, 8080, "127.0.0.1"),),
        stop_grace_period=3.0,
        labels={"course": "net"},
        tmpfs=("/run:size=1m",),
    )
    spec = resolve(service).container
    assert (spec.image, spec.name, spec.stop_timeout) == ("lab/box", "alice-box", 3.0)
    assert [(p.container_port, p.host_port, p.host_ip) for p in spec.ports] == [(80, 8080, "127.0.0.1")]
    assert [(n.network, n.aliases) for n in spec.networks] == [("alice-default", ("box",))]
    assert [(m.kind, m.target) for m in spec.mounts] == [("tmpfs", "/run")]
    assert spec.labels["course"] == "net" and spec.labels["io.labkit.service"] == "box"
    assert (spec.network_mode, spec.pid_mode, spec.ipc_mode) == (None, None, None)


def test_host_namespaces_reach_the_spec() -> None:
    service = Service("box", image="lab/box", network_mode="host", pid=" host", ipc="host")
    spec = resolve(service).container
    assert (spec.network_mode, spec.pid_mode, spec.ipc_mode) == ("host", "host", "host")
    assert spec.networks == ()


@pytest.mark.parametrize(
    ("request_", "mode"),
    [({"network_mode": "none"}, ("none", None, None)), ({"ipc": "private"}, (None, None, "private"))],
)
def test_private_namespaces_reach_the_spec(request_: dict[str, Any], mode: tuple[str | None, ...]) -> None:
    spec: ContainerSpec = resolve(Service("box", image="lab/box", **request_)).container
    assert (spec.network_mode, spec.pid_mode, spec.ipc_mode) == mode


def test_a_new_namespace_setting_changes_the_config_hash() -> None:
    plain = resolve(Service("box", image="lab/box"))
    shared = resolve(Service("box", image="lab/box", ipc="host"))
    assert plain.config_hash != shared.config_hash


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    (
        {"network_mode": "service:db"},
        "network_mode",
        "network_mode 'service:db' is not supported by labkit stacks: use host or none, or remove it",
    ),
    ({"network_mode": "bridge"}, "network_mode", "network_mode 'bridge' is not supported"),
    ({"network_mode": "container:web"}, "network_mode", "network_mode 'container:web' is not supported"),
    ({"pid": "service:db"}, "pid", "pid 'service:db' is not supported by labkit stacks: use host, or"),
    ({"ipc": "service:db"}, "ipc", "use host or private or shareable, or remove it"),
    ({"ipc": "none"}, "ipc", "ipc 'none' is not supported"),
    (
        {"network_mode": "host", "ports": (PortMapping(80),)},
        "ports",
        "ports cannot be published with network_mode host; remove them",
    ),
    (
        {"network_mode": "none", "ports": (PortMapping(80),)},
        "ports",
        "ports cannot be published with network_mode none",
    ),
    (
        {"network_mode": "host", "sysctls": {"net.ipv4.ip_forward": "1"}},
        "sysctls",
        "sysctl net.ipv4.ip_forward would change the host's network settings; remove it",
    ),
    ({"devices": ("dev/net/tun",)}, "devices[0]", "device 'dev/net/tun': expected absolute paths"),
    ({"devices": ("/dev/fuse", "/dev/fuse:rw")}, "devices[1]", "device '/dev/fuse:rw': expected absolute"),
    ({"devices": ("/dev/fuse:/dev/f:rwx",)}, "devices[0]", "permissions 'rwx' should be made of r, w and m"),
    ({"devices": ("/a:/b:r:x",)}, "devices[0]", "expected host[:container[:permissions]]"),
]


@pytest.mark.parametrize(("request_", "key", "words"), REFUSED)
def test_settings_the_seam_cannot_express_are_refused_by_name(
    request_: dict[str, Any], key: str, words: str
) -> None:
    service = Service("box", image="lab/box", **request_)
    stack = Stack("x", FILE, {"box": service}, {}, {})
    with pytest.raises(ConfigError) as caught:
        check_supported(stack, service)
    assert words in str(caught.value)
    assert caught.value.key_path == f"services.box.{key}"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "request_",
    [
        {"network_mode": "host", "sysctls": {"kernel.shm_rmid_forced": "1"}},
        {"network_mode": "none", "ipc": "shareable", "pid": "host"},
        {"devices": ("/dev/net/tun", "/dev/fuse:/dev/f", "/dev/kvm:/dev/kvm:rwm")},
        {"ipc": "private", "sysctls": {"net.ipv4.ip_forward": "1"}},
    ],
)
def test_settings_the_seam_expresses_pass(request_: dict[str, Any]) -> None:
    service = Service("box", image="lab/box", **request_)
    check_supported(Stack("x", FILE, {"box": service}, {}, {}), service)
