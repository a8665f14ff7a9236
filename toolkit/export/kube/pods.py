"""A service as a Pod (a one-shot service as a Job): the container, its identity and its place.

- image from the registry given, entrypoint and command, environment, working folder;
- securityContext with exactly the capabilities the service adds and drops, its sysctls over
  the two Docker sets in every container (DOCKER_NETNS_SYSCTLS), and the user: the service's
  `user:`, else the image's (course images run as student, uid 1000);
- the lab interfaces as the Multus annotation, the peers' names as hostAliases (what the
  engine's DNS answers for on a shared network), the service's hostname;
- readiness from the healthcheck (the service's, else the course image's), run as exec;
- `init: true` as a shared process namespace, whose first process (the pause container)
  reaps orphans as an init would;
- every pod of a project on one node (required podAffinity on the project label): a CNI
  bridge is a node's, so a lab network exists only among the pods of one node.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.export.kube.image_facts import CourseImages, user_id
from toolkit.export.kube.layout import Attachment
from toolkit.export.kube.manifest import Manifest, metadata
from toolkit.export.kube.networks import NETWORKS_ANNOTATION, networks_annotation
from toolkit.export.kube.ordering import WAITER_ACCOUNT, wait_containers
from toolkit.export.kube.volumes import PodVolumes
from toolkit.runtime.specs import HealthcheckSpec
from toolkit.stack import naming
from toolkit.stack.model import Service, Stack

# What Docker sets in every container's network namespace, which the exercises are written for
# (course servers run as student on ports below 1024; ping uses ICMP sockets). Both are "safe"
# sysctls in Kubernetes: allowed in every namespace without kubelet flags.
DOCKER_NETNS_SYSCTLS = {
    "net.ipv4.ip_unprivileged_port_start": "0",
    "net.ipv4.ping_group_range": "0 2147483647",
}
_RESTART = {"no": "Never", "on-failure": "OnFailure", "always": "Always", "unless-stopped": "Always"}
_PULL = {"always": "Always", "never": "Never", "missing": "IfNotPresent", "if_not_present": "IfNotPresent"}


@dataclass(frozen=True)
class PodContext:
    """What every pod of one export shares."""

    stack: Stack
    namespace: str
    attachments: dict[str, tuple[Attachment, ...]]
    images: CourseImages
    registry: str | None
    kubectl_image: str


def image_for(service: Service, registry: str | None) -> str:
    """The image reference a cluster pulls: the service's, under the registry when one is given."""
    return qualified_image(service.image or "", registry)


def qualified_image(ref: str, registry: str | None) -> str:
    """An image reference under the registry when one is given."""
    return f"{registry.rstrip('/')}/{ref}" if registry else ref


def pod(ctx: PodContext, service: Service, labels: dict[str, str], volumes: PodVolumes) -> Manifest:
    """The Pod of a long-running service."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_metadata(ctx, service, labels),
        "spec": pod_spec(ctx, service, volumes, _RESTART[service.restart]),
    }


def job(ctx: PodContext, service: Service, labels: dict[str, str], volumes: PodVolumes) -> Manifest:
    """The Job of a one-shot service: one try, as Compose runs it once."""
    restart = "OnFailure" if service.restart == "on-failure" else "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(service.name, ctx.namespace, labels),
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {k: v for k, v in pod_metadata(ctx, service, labels).items() if k != "name"},
                "spec": pod_spec(ctx, service, volumes, restart),
            },
        },
    }


def pod_metadata(ctx: PodContext, service: Service, labels: dict[str, str]) -> dict[str, object]:
    attachments = ctx.attachments[service.name]
    annotations = {NETWORKS_ANNOTATION: networks_annotation(attachments)} if attachments else {}
    # Compose labels are free text; Kubernetes label values are not: they go along as annotations.
    annotations.update(service.labels)
    return metadata(service.name, ctx.namespace, labels, annotations)


def pod_spec(ctx: PodContext, service: Service, volumes: PodVolumes, restart: str) -> Manifest:
    spec: Manifest = {
        "hostname": service.hostname or service.name,
        "restartPolicy": restart,
        "affinity": same_node(ctx.namespace),
        "containers": [_container(ctx, service, volumes)],
    }
    if service.init:
        spec["shareProcessNamespace"] = True
    if service.stop_grace_period is not None:
        spec["terminationGracePeriodSeconds"] = int(service.stop_grace_period)
    aliases = host_aliases(ctx, service)
    if aliases:
        spec["hostAliases"] = aliases
    sysctls = {**DOCKER_NETNS_SYSCTLS, **service.sysctls}
    spec["securityContext"] = {"sysctls": [{"name": k, "value": v} for k, v in sysctls.items()]}
    if service.dns:
        spec["dnsPolicy"] = "None"
        spec["dnsConfig"] = {"nameservers": list(service.dns)}
    if service.depends_on:
        spec["serviceAccountName"] = WAITER_ACCOUNT
        spec["initContainers"] = wait_containers(service.depends_on, ctx.kubectl_image)
    else:
        spec["automountServiceAccountToken"] = False
    if volumes.volumes:
        spec["volumes"] = volumes.volumes
    return spec


def same_node(namespace: str) -> Manifest:
    """Required affinity to the node of the project's other pods: a lab bridge is a node's."""
    selector = {"matchLabels": {naming.LABEL_PROJECT: namespace}}
    term = {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


def _container(ctx: PodContext, service: Service, volumes: PodVolumes) -> Manifest:
    container: Manifest = {"name": service.name, "image": image_for(service, ctx.registry)}
    pull = _PULL.get(service.pull_policy or "missing", "IfNotPresent")
    if ctx.registry and pull == "Never":
        pull = "IfNotPresent"  # `never` means "built here"; with a registry, the cluster pulls
    container["imagePullPolicy"] = pull
    if service.entrypoint is not None:
        container["command"] = list(service.entrypoint)
    if service.command is not None:
        container["args"] = list(service.command)
    if service.environment:
        container["env"] = [{"name": k, "value": v} for k, v in service.environment.items()]
    if service.working_dir:
        container["workingDir"] = service.working_dir
    if service.tty:
        container["tty"] = True
    if service.stdin_open:
        container["stdin"] = True
    ports = sorted({p.target for p in service.ports} | set(_exposed(service.expose)))
    if ports:
        container["ports"] = [{"containerPort": port} for port in ports]
    container["securityContext"] = _security(ctx, service)
    facts = ctx.images.facts(service.image or "")
    healthcheck = service.healthcheck or facts.healthcheck
    if healthcheck is not None and not healthcheck.disabled:
        container["readinessProbe"] = readiness_probe(healthcheck)
    limits = _limits(service)
    if limits:
        container["resources"] = {"limits": limits}
    if volumes.mounts:
        container["volumeMounts"] = volumes.mounts
    return container


def _exposed(expose: tuple[str, ...]) -> list[int]:
    """The ports of `expose` entries ("80", "53/udp", "8000-8002")."""
    found: list[int] = []
    for entry in expose:
        first, _, last = entry.split("/")[0].partition("-")
        found += range(int(first), int(last or first) + 1)
    return found


def _security(ctx: PodContext, service: Service) -> Manifest:
    capabilities: Manifest = {}
    if service.cap_add:
        capabilities["add"] = [c.removeprefix("CAP_") for c in service.cap_add]
    if service.cap_drop:
        capabilities["drop"] = [c.removeprefix("CAP_") for c in service.cap_drop]
    security: Manifest = {"capabilities": capabilities} if capabilities else {}
    uid = user_id(service.user) if service.user else user_id(ctx.images.facts(service.image or "").user)
    if uid is not None:
        security["runAsUser"] = uid
    if service.read_only:
        security["readOnlyRootFilesystem"] = True
    return security


def readiness_probe(healthcheck: HealthcheckSpec) -> Manifest:
    """A healthcheck as an exec readiness probe (Kubernetes counts whole seconds, at least 1)."""
    return {
        "exec": {"command": list(healthcheck.argv())},
        "periodSeconds": max(1, round(healthcheck.interval)),
        "timeoutSeconds": max(1, round(healthcheck.timeout)),
        "failureThreshold": max(1, healthcheck.retries),
    }


def _limits(service: Service) -> dict[str, str]:
    limits: dict[str, str] = {}
    if service.mem_limit:
        limits["memory"] = str(service.mem_limit)
    if service.cpus:
        limits["cpu"] = f"{int(service.cpus * 1000)}m"
    return limits


def host_aliases(ctx: PodContext, service: Service) -> list[Manifest]:
    """The peers a service reaches by name: each on the first network both are on, as DNS has it."""
    mine = [a.network for a in service.networks]
    found: list[Manifest] = []
    for other in ctx.stack.services.values():
        if other.name == service.name:
            continue
        shared = [a for a in other.networks if a.network in mine]
        if not shared:
            continue
        first = min(shared, key=lambda a: mine.index(a.network))
        address = next(a.address for a in ctx.attachments[other.name] if a.network == first.network)
        linked = [link.alias for link in service.links if link.service == other.name]  # `links` aliases
        names = dict.fromkeys(
            [other.name, *([other.hostname] if other.hostname else []), *first.aliases, *linked]
        )
        found.append({"ip": str(address), "hostnames": list(names)})
    return found
