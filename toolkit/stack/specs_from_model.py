"""Turn the stack model into the specs the engine seam takes, with names and labels applied.

A service's config hash covers everything that decides its container: the container spec
(without the owner label, which changes with every process), the image's id (a rebuilt image
means a new container) and the specs of the networks it joins (a renumbered network means
new addresses). `up` recreates exactly the services whose hash changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from toolkit.errors import ConfigError
from toolkit.runtime.specs import (
    ContainerSpec,
    HealthcheckSpec,
    ImageInfo,
    Mount,
    NetworkAttachment,
    NetworkSpec,
    PortBinding,
    VolumeSpec,
)
from toolkit.stack import naming
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
        name=naming.network_name(project, network.name),
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
    return VolumeSpec(name=naming.volume_name(project, volume.name), labels=labels)


def effective_healthcheck(
    service: HealthcheckSpec | None, image: HealthcheckSpec | None
) -> HealthcheckSpec | None:
    """The healthcheck that decides a service's health: its own, else its image's; NONE: none."""
    chosen = service if service is not None else image
    return None if chosen is None or chosen.disabled else chosen


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
    Raises ConfigError for settings the engine seam cannot express.
    """
    check_supported(stack, service)
    attachments = tuple(
        NetworkAttachment(
            network=networks[attachment.network].name,
            ipv4_address=attachment.ipv4_address,
            # Compose makes every service reachable by its name on each of its networks.
            aliases=tuple(dict.fromkeys((service.name, *attachment.aliases))),
        )
        for attachment in service_networks(service)
    )
    labels = {
        **service.labels,
        naming.LABEL_PROJECT: project,
        naming.LABEL_EXERCISE: exercise,
        naming.LABEL_SERVICE: service.name,
    }
    if service.stop_grace_period is not None:
        labels[naming.LABEL_STOP_GRACE] = f"{service.stop_grace_period:g}"
    spec = ContainerSpec(
        image=image_ref,
        name=naming.container_name(project, service.name),
        hostname=service.hostname,
        domainname=service.domainname,
        command=service.command,
        entrypoint=service.entrypoint,
        environment=service.environment,
        labels=labels,
        networks=attachments,
        dns=service.dns,
        extra_hosts=service.extra_hosts,
        cap_add=service.cap_add,
        cap_drop=service.cap_drop,
        privileged=service.privileged,
        sysctls=service.sysctls,
        mounts=_mounts(project, service),
        ports=tuple(PortBinding(p.target, p.protocol, p.published, p.host_ip) for p in service.ports),
        working_dir=service.working_dir,
        user=service.user,
        init=service.init,
        tty=service.tty,
        stdin_open=service.stdin_open,
        healthcheck=service.healthcheck,
        read_only=service.read_only,
        ulimits=service.ulimits,
        mem_limit=service.mem_limit,
        cpus=service.cpus,
        pids_limit=service.pids_limit,
        stop_timeout=service.stop_grace_period,
        restart=service.restart,
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


def _mounts(project: str, service: Service) -> tuple[Mount, ...]:
    mounts = []
    for volume in service.volumes:
        source = volume.source
        if volume.type == "volume" and source:
            source = naming.volume_name(project, source)
        mounts.append(Mount(volume.type, volume.target, source, volume.read_only))
    for entry in service.tmpfs:
        # Options after the colon (size, mode) are not expressible at the seam: the path counts.
        mounts.append(Mount("tmpfs", entry.split(":", 1)[0]))
    return tuple(mounts)


def check_supported(stack: Stack, service: Service) -> None:
    """Raise ConfigError for a service setting the engine seam cannot express."""
    for key in ("network_mode", "pid", "ipc"):
        if getattr(service, key) is not None:
            raise ConfigError(
                f"{key} is not supported by labkit stacks; remove it (containers join the "
                "stack's own networks)",
                file=str(stack.file),
                key_path=f"services.{service.name}.{key}",
            )
    if service.devices:
        raise ConfigError(
            "devices are not supported by labkit stacks; remove them",
            file=str(stack.file),
            key_path=f"services.{service.name}.devices",
        )
