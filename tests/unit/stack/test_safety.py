"""The safety policy: host access is refused unless the exercise allows it and the user agrees."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from toolkit.errors import UsageError
from toolkit.stack.model import Exercise, Network, Service, ServiceNetwork, Stack, Volume, VolumeMount
from toolkit.stack.safety import (
    ALLOWABLE,
    HostAccess,
    bound_device,
    check_host_paths,
    check_safety,
    exposes_engine_socket,
    find_host_access,
    outside_folder,
)


def stack_of(*services: Service, allow: tuple[str, ...] = ()) -> Stack:
    return Stack(
        name="alice",
        file=Path("/labs/x/compose.yaml"),
        services={service.name: service for service in services},
        networks={"lan": Network("lan", subnet="10.10.1.0/24")},
        volumes={},
        exercise=Exercise(title="x", allow=allow),
    )


def bind(source: str) -> VolumeMount:
    return VolumeMount(type="bind", source=source, target="/mnt/host")


# (Service keyword arguments, kind, what the refusal quotes)
REQUESTS: list[tuple[dict[str, Any], str, str]] = [
    ({"privileged": True}, "privileged", "privileged: true"),
    ({"network_mode": "host"}, "host-network", "network_mode: host"),
    ({"pid": "host"}, "host-pid", "pid: host"),
    ({"ipc": "host"}, "host-ipc", "ipc: host"),
    ({"devices": ("/dev/net/tun", "/dev/kvm")}, "devices", "devices: /dev/net/tun, /dev/kvm"),
    (
        {"volumes": (bind("/var/run/docker.sock"),)},
        "engine-socket",
        "a bind mount of /var/run/docker.sock (it exposes the container engine's socket)",
    ),
    ({"cap_add": ("ALL",)}, "all-capabilities", "cap_add: ALL"),
    ({"cap_add": ("SYS_ADMIN",)}, "sys-admin", "cap_add: SYS_ADMIN"),
    ({"cap_add": ("SYS_MODULE", "NET_ADMIN")}, "host-capabilities", "cap_add: SYS_MODULE"),
]
IDS = [kind for _, kind, _ in REQUESTS]


def test_the_documented_message_for_a_privileged_router() -> None:
    stack = stack_of(Service("router", image="lab/router", privileged=True))
    with pytest.raises(UsageError) as caught:
        check_safety(stack, allow_privileged=False)
    assert caught.value.exit_code == 2
    assert str(caught.value) == (
        "service 'router' asks for privileged: true, which labkit refuses: "
        "list 'privileged' under x-labkit.allow and pass --allow-privileged"
    )


@pytest.mark.parametrize(("request_", "kind", "detail"), REQUESTS, ids=IDS)
def test_each_kind_is_refused_without_allow_and_flag(
    request_: dict[str, Any], kind: str, detail: str
) -> None:
    stack = stack_of(Service("box", image="lab/box", **request_))
    with pytest.raises(UsageError) as caught:
        check_safety(stack, allow_privileged=False)
    assert str(caught.value) == (
        f"service 'box' asks for {detail}, which labkit refuses: "
        f"list '{kind}' under x-labkit.allow and pass --allow-privileged"
    )


@pytest.mark.parametrize(("request_", "kind", "detail"), REQUESTS, ids=IDS)
def test_each_kind_allowed_by_the_exercise_still_needs_the_flag(
    request_: dict[str, Any], kind: str, detail: str
) -> None:
    stack = stack_of(Service("box", image="lab/box", **request_), allow=(kind,))
    with pytest.raises(UsageError) as caught:
        check_safety(stack, allow_privileged=False)
    assert str(caught.value) == (
        f"service 'box' asks for {detail}, which labkit refuses: "
        f"the exercise allows '{kind}': pass --allow-privileged to run it"
    )


@pytest.mark.parametrize(("request_", "kind", "detail"), REQUESTS, ids=IDS)
def test_each_kind_needs_the_exercise_to_allow_it_even_with_the_flag(
    request_: dict[str, Any], kind: str, detail: str
) -> None:
    others = tuple(name for name in ALLOWABLE if name != kind)
    stack = stack_of(Service("box", image="lab/box", **request_), allow=others)
    with pytest.raises(UsageError) as caught:
        check_safety(stack, allow_privileged=True)
    assert str(caught.value) == (
        f"service 'box' asks for {detail}, which labkit refuses: the exercise does not list "
        f"'{kind}' under x-labkit.allow (--allow-privileged alone is not enough)"
    )


@pytest.mark.parametrize(("request_", "kind", "detail"), REQUESTS, ids=IDS)
def test_each_kind_runs_when_allowed_by_both(request_: dict[str, Any], kind: str, detail: str) -> None:
    stack = stack_of(Service("box", image="lab/box", **request_), allow=(kind,))
    check_safety(stack, allow_privileged=True)
    assert find_host_access(stack) == [HostAccess("box", kind, detail)]


def test_an_ordinary_networking_lab_passes_without_anything() -> None:
    router = Service(
        "router",
        image="lab/router",
        cap_add=("NET_ADMIN", "NET_RAW", "cap_net_bind_service"),
        sysctls={"net.ipv4.ip_forward": "1"},
        networks=(ServiceNetwork("lan", "10.10.1.1"),),
        network_mode=None,
        volumes=(bind("/labs/x/config"), VolumeMount(type="volume", source="docker.sock", target="/data")),
        devices=(),
    )
    bridge = Service("pc", image="lab/pc", network_mode="bridge", pid="container:router", ipc="private")
    stack = stack_of(router, bridge)
    assert find_host_access(stack) == []
    check_safety(stack, allow_privileged=False)
    assert stack.services["router"].cap_add == ("NET_ADMIN", "NET_RAW", "cap_net_bind_service")


@pytest.mark.parametrize("written", ["ALL", "all", "CAP_ALL", " All "])
def test_all_capabilities_is_recognised_however_written(written: str) -> None:
    assert find_host_access(stack_of(Service("box", cap_add=(written,)))) == [
        HostAccess("box", "all-capabilities", "cap_add: ALL")
    ]


@pytest.mark.parametrize("written", ["SYS_ADMIN", "sys_admin", "CAP_SYS_ADMIN", "cap_sys_admin"])
def test_sys_admin_is_recognised_however_written(written: str) -> None:
    assert find_host_access(stack_of(Service("box", cap_add=(written,)))) == [
        HostAccess("box", "sys-admin", "cap_add: SYS_ADMIN")
    ]


@pytest.mark.parametrize(
    "source",
    [
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/run/podman/podman.sock",
        "/run/podman",
        "/var/run/podman/podman.sock",
        "/run/containerd/containerd.sock",
        "/run/containerd/containerd.sock.ttrpc",
        "/run/docker/containerd/containerd.sock",
        "/run/crio/crio.sock",
        "/run/user/1000/podman/podman.sock",
        "/run/user/1000/docker.sock",
        "/run/user/1000",
        "/home/student/.docker/run/docker.sock",
        "/srv/../var/run/docker.sock",
        "/var/run/./podman/",
        "//run/podman",
        "/",
        "/run",
        "/var/run",
        "/var",
        "/run/user",
    ],
)
def test_engine_sockets_and_the_folders_holding_them_are_recognised(source: str) -> None:
    assert exposes_engine_socket(source)


@pytest.mark.parametrize(
    "source",
    [
        "/srv/lab",
        "/run/lab-data",
        "/run/dockerx",
        "/home/student/docker.socks",
        "/var/lib/lab",
        "/run/user/1000/lab",
        "",
    ],
)
def test_other_bind_mounts_are_not_engine_sockets(source: str) -> None:
    assert not exposes_engine_socket(source)


def test_a_symlink_to_an_engine_socket_is_recognised(tmp_path: Path) -> None:
    link = tmp_path / "innocent"
    os.symlink("/var/run/docker.sock", link)  # the target need not exist for the check
    assert exposes_engine_socket(str(link))
    assert find_host_access(stack_of(Service("box", volumes=(bind(str(link)),))))[0].kind == "engine-socket"


def test_the_first_refusal_is_reported_in_a_stable_order() -> None:
    # Services by name, then the kinds in ALLOWABLE order within a service.
    zebra = Service("zebra", privileged=True)
    alpha = Service("alpha", cap_add=("SYS_ADMIN",), network_mode="host", privileged=True)
    stack = stack_of(zebra, alpha)
    assert [(access.service, access.kind) for access in find_host_access(stack)] == [
        ("alpha", "privileged"),
        ("alpha", "host-network"),
        ("alpha", "sys-admin"),
        ("zebra", "privileged"),
    ]
    with pytest.raises(UsageError, match=r"^service 'alpha' asks for privileged: true"):
        check_safety(stack, allow_privileged=False)


def test_allowing_one_kind_does_not_allow_another() -> None:
    stack = stack_of(Service("router", privileged=True, devices=("/dev/net/tun",)), allow=("privileged",))
    with pytest.raises(
        UsageError, match=r"^service 'router' asks for devices: /dev/net/tun, which labkit refuses"
    ):
        check_safety(stack, allow_privileged=True)


def test_every_kind_allowed_runs_a_stack_that_asks_for_all_of_them() -> None:
    everything = Service(
        "box",
        privileged=True,
        network_mode="host",
        pid="host",
        ipc="host",
        devices=("/dev/kvm",),
        volumes=(bind("/run/podman/podman.sock"),),
        cap_add=("ALL", "SYS_ADMIN", "SYS_TIME"),
    )
    stack = stack_of(everything, allow=ALLOWABLE)
    check_safety(stack, allow_privileged=True)
    assert [access.kind for access in find_host_access(stack)] == list(ALLOWABLE)


def test_an_unknown_name_under_allow_is_refused_with_the_choices() -> None:
    stack = stack_of(Service("box"), allow=("privilege",))
    with pytest.raises(UsageError) as caught:
        check_safety(stack, allow_privileged=True)
    assert str(caught.value) == (
        "x-labkit.allow lists 'privilege', which labkit does not know: choose from " + ", ".join(ALLOWABLE)
    )


def test_allowable_names_the_documented_kinds() -> None:
    assert set(ALLOWABLE) >= {
        "privileged",
        "host-network",
        "host-pid",
        "host-ipc",
        "devices",
        "engine-socket",
        "all-capabilities",
        "sys-admin",
    }
    assert len(set(ALLOWABLE)) == len(ALLOWABLE)


# ---------------------------------------------------------------- host paths outside the folder


def test_host_paths_outside_the_folder_need_the_users_flag() -> None:
    stack = stack_of(Service(name="web", image="x", volumes=(bind("/etc/app"), bind("/labs/x/data"))))
    with pytest.raises(UsageError) as refused:
        check_host_paths(stack, allow_host_paths=False)
    assert str(refused.value) == (
        "service 'web' bind-mounts /etc/app, a host path outside the exercise folder /labs/x, "
        "which labkit refuses: pass --allow-host-paths to run it, or mount a folder inside the exercise"
    )
    check_host_paths(stack, allow_host_paths=True)  # the user's flag alone is enough


def test_paths_inside_the_folder_and_engine_sockets_are_not_host_paths() -> None:
    inside = stack_of(Service(name="web", image="x", volumes=(bind("/labs/x"), bind("/labs/x/a/b"))))
    check_host_paths(inside, allow_host_paths=False)
    assert not outside_folder(inside, "/labs/x/data")
    assert outside_folder(inside, "/labs/xy")  # a sibling whose name starts alike is outside
    # The engine's socket and the host's root stay under check_safety's stricter rule, even
    # with --allow-host-paths: the flag does not open them.
    for source in ("/var/run/docker.sock", "/"):
        socket = stack_of(Service(name="web", image="x", volumes=(bind(source),)))
        assert not outside_folder(socket, source)
        check_host_paths(socket, allow_host_paths=True)
        with pytest.raises(UsageError, match="engine's socket"):
            check_safety(socket, allow_privileged=True)


def test_a_volume_binding_a_host_folder_is_a_host_path() -> None:
    def with_volume(device: str) -> Stack:
        stack = stack_of(Service(name="web", image="x", volumes=(VolumeMount("volume", "/d", "data"),)))
        options = {"type": "none", "o": "bind", "device": device}
        return replace(stack, volumes={"data": Volume("data", driver_opts=options)})

    assert bound_device({"type": "tmpfs", "device": "tmpfs"}) is None  # not a host folder
    check_host_paths(with_volume("/labs/x/data"), allow_host_paths=False)
    with pytest.raises(UsageError, match="volume 'data' binds /srv, a host path outside"):
        check_host_paths(with_volume("/srv"), allow_host_paths=False)
    check_host_paths(with_volume("/srv"), allow_host_paths=True)
    with pytest.raises(UsageError, match="exposes the container engine's socket"):
        check_host_paths(with_volume("/run/docker.sock"), allow_host_paths=True)
