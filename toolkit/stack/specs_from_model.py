"""Turn the stack model into the specs the engine seam takes, with names and labels applied.

A service's config hash covers everything that decides its container: the container spec
(without the owner label, which changes with every process), the image's id (a rebuilt image
means a new container) and the specs of the networks it joins (a renumbered network means
new addresses). `up` recreates exactly the services whose hash changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import NoReturn, cast, get_args

from toolkit.errors import ConfigError
from toolkit.runtime.specs import (
    ContainerSpec,
    HealthcheckSpec,
    ImageInfo,
    IpcMode,
    Mount,
    NetworkAttachment,
    NetworkMode,
    NetworkSpec,
    PidMode,
    PortBinding,
    VolumeSpec,
    settings_of,
)
from toolkit.stack import naming
from toolkit.stack.interfaces import format_label, in_interface_order, interface_names, internal_keys
from toolkit.stack.model import Network, Service, Stack, Volume
from toolkit.stack.plan import service_networks


@dataclass(frozen=True)
class ResolvedService:
    """A service ready to create: its container spec, config hash and effective healthcheck."""

    name: str
    container: ContainerSpec
    config_hash: str
    healthcheck: HealthcheckSpec | None  # the Compose one, else the image's; None: no health


def network_spec(project: str, exercise: str, network: Network) -> NetworkSpec:
    labels = {
        **network.labels,
        **naming.resource_labels(project, exercise),
        naming.LABEL_NETWORK: network.name,
    }
    return NetworkSpec(
        name=network.explicit_name or naming.network_name(project, network.name),
        subnet=network.subnet,
        gateway=network.gateway,
        internal=network.internal,
        labels=labels,
    )


def volume_spec(project: str, exercise: str, volume: Volume) -> VolumeSpec:
    labels = {
        **volume.labels,
        **naming.resource_labels(project, exercise),
        naming.LABEL_VOLUME: volume.name,
    }
    name = volume.explicit_name or naming.volume_name(project, volume.name)
    return VolumeSpec(name=name, labels=labels, driver_opts=volume.driver_opts)


def effective_healthcheck(
    service: HealthcheckSpec | None, image: HealthcheckSpec | None
) -> HealthcheckSpec | None:
    """The healthcheck that decides a service's health: its own, else its image's; NONE: none."""
    chosen = service if service is not None else image
    return None if chosen is None or chosen.disabled else chosen


def link_aliases(stack: Stack, service: str, network: str) -> tuple[str, ...]:
    """The names other services' `links` give `service` on `network` (compose/links.py).

    Compose resolves a link alias only inside the linking container; an alias on the linked
    container does the same on both engines, for every container of the networks they share.
    """
    return tuple(
        link.alias
        for other in stack.services.values()
        if any(attachment.network == network for attachment in service_networks(other))
        for link in other.links
        if link.service == service
    )


def resolve_service(
    stack: Stack,
    service: Service,
    *,
    project: str,
    exercise: str,
    image: ImageInfo,
    image_ref: str,
    networks: Mapping[str, NetworkSpec],
) -> ResolvedService:
    """Build the container spec of one service.

    `networks` maps each of the stack's network keys to its spec (for names and the hash).
    The stack has passed `check_supported` already (`orchestrator.validate` runs it once).
    """
    internal = internal_keys(stack.networks)
    joined_networks = in_interface_order(service_networks(service), internal)
    interfaces = interface_names(joined_networks, internal)
    attachments = tuple(
        NetworkAttachment(
            network=networks[attachment.network].name,
            ipv4_address=attachment.ipv4_address,
            # Compose makes every service reachable by its name on each of its networks.
            aliases=tuple(
                dict.fromkeys(
                    (
                        service.name,
                        *attachment.aliases,
                        *link_aliases(stack, service.name, attachment.network),
                    )
                )
            ),
            interface_name=interfaces[attachment.network],
        )
        for attachment in joined_networks
    )
    labels = {
        **service.labels,
        naming.LABEL_PROJECT: project,
        naming.LABEL_EXERCISE: exercise,
        naming.LABEL_SERVICE: service.name,
    }
    if interfaces:
        labels[naming.LABEL_INTERFACES] = format_label(interfaces)
    if service.stop_grace_period is not None:
        labels[naming.LABEL_STOP_GRACE] = f"{service.stop_grace_period:g}"
    spec = ContainerSpec(
        **settings_of(service),
        image=image_ref,
        name=service.container_name or naming.container_name(project, service.name),
        labels=labels,
        networks=attachments,
        mounts=_mounts(stack, project, service) + _file_mounts(stack, service),
        ports=tuple(PortBinding(p.target, p.protocol, p.published, p.host_ip) for p in service.ports),
        stop_timeout=service.stop_grace_period,
        network_mode=cast(NetworkMode | None, _namespace(service.network_mode)),
        pid_mode=cast(PidMode | None, _namespace(service.pid)),
        ipc_mode=cast(IpcMode | None, _namespace(service.ipc)),
    )
    joined = [networks[a.network] for a in service_networks(service)]
    digest = naming.config_hash(spec, image.id, [replace(n, labels={}) for n in joined])
    labels = {**labels, naming.LABEL_CONFIG_HASH: digest, naming.LABEL_OWNER: naming.owner()}
    return ResolvedService(
        name=service.name,
        container=replace(spec, labels=labels),
        config_hash=digest,
        healthcheck=effective_healthcheck(service.healthcheck, image.healthcheck),
    )


def _file_mounts(stack: Stack, service: Service) -> tuple[Mount, ...]:
    """Secrets and configs: their files bind-mounted read-only, as Compose v2 mounts them."""
    return tuple(
        Mount("bind", mount.target, str(files[mount.source]), read_only=True)
        for files, used in ((stack.secrets, service.secrets), (stack.configs, service.configs))
        for mount in used
    )


def _mounts(stack: Stack, project: str, service: Service) -> tuple[Mount, ...]:
    mounts = []
    for volume in service.volumes:
        source = volume.source
        if volume.type == "volume" and source:
            declared = stack.volumes.get(source)
            explicit = declared.explicit_name if declared is not None else None
            source = explicit or naming.volume_name(project, source)
        mounts.append(Mount(volume.type, volume.target, source, volume.read_only))
    for entry in service.tmpfs:
        # Options after the colon (size, mode) are not expressible at the seam: the path counts.
        mounts.append(Mount("tmpfs", entry.split(":", 1)[0]))
    return tuple(mounts)


# The namespace settings labkit stacks can express on both engines. Sharing one with another
# service ("service:x") or a container outside the stack ("container:x") is not among them: the
# other container must then outlive this one, which stack updates do not keep.
NAMESPACE_MODES: dict[str, tuple[str, ...]] = {
    "network_mode": get_args(NetworkMode),
    "pid": get_args(PidMode),
    "ipc": get_args(IpcMode),
}
_DEVICE_PERMISSIONS = re.compile(r"[rwm]{1,3}")


def _namespace(mode: str | None) -> str | None:
    return None if mode is None else mode.strip()


def check_supported(stack: Stack, service: Service) -> None:
    """Raise ConfigError for a service setting the engine seam cannot express.

    Host namespaces and devices are expressible: whether they may run is the safety policy's
    decision (safety.check_safety), not this function's.
    """

    def refuse(message: str, key: str) -> NoReturn:
        raise ConfigError(message, file=str(stack.file), key_path=f"services.{service.name}.{key}")

    for key, choices in NAMESPACE_MODES.items():
        mode = _namespace(getattr(service, key))
        if mode is not None and mode not in choices:
            refuse(
                f"{key} {mode!r} is not supported by labkit stacks: use {' or '.join(choices)}, "
                "or remove it (containers join the stack's own networks)",
                key,
            )
    network_mode = _namespace(service.network_mode)
    if network_mode is not None and service.ports:
        refuse(f"ports cannot be published with network_mode {network_mode}; remove them", "ports")
    if network_mode == "host":
        for name in service.sysctls:
            if name.startswith("net."):
                refuse(f"sysctl {name} would change the host's network settings; remove it", "sysctls")
    for index, device in enumerate(service.devices):
        problem = _device_problem(device)
        if problem:
            refuse(f"device {device!r}: {problem}", f"devices[{index}]")


def _device_problem(device: str) -> str:
    """What is wrong with a "host[:container[:permissions]]" device, or "" if nothing."""
    parts = device.split(":")
    if len(parts) > 3:
        return "expected host[:container[:permissions]]"
    if not all(path.startswith("/") for path in parts[:2]):
        return "expected absolute paths, host[:container[:permissions]]"
    if len(parts) == 3 and not _DEVICE_PERMISSIONS.fullmatch(parts[2]):
        return f"permissions {parts[2]!r} should be made of r, w and m"
    return ""
