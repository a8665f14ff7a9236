"""One entry of `services`, read into a `Service`."""

from __future__ import annotations

import re
import shlex
from typing import cast

from toolkit.runtime.specs import signal_number
from toolkit.stack.compose.build import read_build
from toolkit.stack.compose.container_keys import (
    read_develop,
    read_dns_search,
    read_group_add,
    read_mac_address,
    read_platform,
    read_shm_size,
)
from toolkit.stack.compose.engine_keys import read_logging, read_restart, read_runtime, read_security_opt
from toolkit.stack.compose.environment import read_environment
from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    boolean,
    checked,
    duration,
    entries,
    items,
    nonempty_string,
    optional,
    string,
    string_list,
    string_map,
)
from toolkit.stack.compose.file_objects import read_references
from toolkit.stack.compose.healthcheck import read_healthcheck
from toolkit.stack.compose.keys import DEPENDENCY, DEVICE, SERVICE
from toolkit.stack.compose.links import read_links, with_link_dependencies
from toolkit.stack.compose.mounts import read_tmpfs, read_volumes
from toolkit.stack.compose.ports import read_expose, read_ports
from toolkit.stack.compose.resources import read_limits, read_ulimits
from toolkit.stack.compose.service_network import read_attachments, read_dns, read_extra_hosts
from toolkit.stack.compose.yaml_source import MapNode, Scalar, SeqNode
from toolkit.stack.model import (
    Dependency,
    DependencyCondition,
    PullPolicy,
    Service,
    ServiceNetwork,
)
from toolkit.stack.naming import DEFAULT_NETWORK

NAME = re.compile(r"[a-zA-Z0-9._-]+")
CONTAINER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")  # the engines' own rule
_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_PULL = ("always", "never", "missing", "build")
_PULL_REFRESH = re.compile(r"refresh|daily|weekly|every_([0-9]+[wdhms])+")


def read_service(name: str, at: At) -> Service:
    """Read one service; raise ConfigError at the first wrong key or value."""
    if not NAME.fullmatch(name):
        at.fail(f"invalid service name {name!r}: use letters, digits, '.', '_' and '-'")
    fields = checked(at, SERVICE)
    image = optional(fields, "image", nonempty_string, None)
    build = optional(fields, "build", read_build, None)
    if image is None and build is None:
        at.fail(f"service {name!r} has neither an image nor a build")
    network_mode = optional(fields, "network_mode", nonempty_string, None)
    networks = optional(fields, "networks", read_attachments, ())
    if network_mode is not None and "networks" in fields:
        fields["networks"].fail("'networks' cannot be combined with 'network_mode'")
    if network_mode is None and "networks" not in fields:
        at.ctx.lines.setdefault(f"{at.path}.networks.{DEFAULT_NETWORK}", at.line)
        networks = (ServiceNetwork(DEFAULT_NETWORK),)  # Compose attaches it to the default network
    platform = optional(fields, "platform", read_platform, None)
    if platform is not None and build is not None and build.platforms and platform not in build.platforms:
        fields["build"].fail(
            f"build.platforms must include the service's platform {platform!r}, as in Compose"
        )
    depends_on = optional(fields, "depends_on", _dependencies, ())
    if network_mode is not None and network_mode.startswith("service:"):
        depends_on = _implied(depends_on, network_mode.removeprefix("service:"))
    limits = read_limits(fields)
    links = optional(fields, "links", read_links, ())
    restart = read_restart(fields)
    return Service(
        name=name,
        image=image,
        build=build,
        command=optional(fields, "command", _argv, None),
        entrypoint=optional(fields, "entrypoint", _argv, None),
        environment=read_environment(fields),
        hostname=optional(fields, "hostname", nonempty_string, None),
        domainname=optional(fields, "domainname", nonempty_string, None),
        networks=networks,
        dns=optional(fields, "dns", read_dns, ()),
        extra_hosts=optional(fields, "extra_hosts", read_extra_hosts, ()),
        cap_add=optional(fields, "cap_add", string_list, ()),
        cap_drop=optional(fields, "cap_drop", string_list, ()),
        privileged=optional(fields, "privileged", boolean, False),
        sysctls=optional(fields, "sysctls", string_map, {}),
        volumes=optional(fields, "volumes", read_volumes, ()),
        ports=optional(fields, "ports", read_ports, ()),
        expose=optional(fields, "expose", read_expose, ()),
        working_dir=optional(fields, "working_dir", _absolute, None),
        user=optional(fields, "user", nonempty_string, None),
        init=optional(fields, "init", boolean, False),
        tty=optional(fields, "tty", boolean, False),
        stdin_open=optional(fields, "stdin_open", boolean, False),
        labels=optional(fields, "labels", string_map, {}),
        healthcheck=optional(fields, "healthcheck", read_healthcheck, None),
        depends_on=with_link_dependencies(depends_on, links),
        links=links,
        restart=restart.policy,
        restart_retries=restart.retries,
        stop_grace_period=optional(fields, "stop_grace_period", duration, None),
        pull_policy=optional(fields, "pull_policy", _pull_policy, None),
        profiles=optional(fields, "profiles", string_list, ()),
        ulimits=optional(fields, "ulimits", read_ulimits, ()),
        mem_limit=limits.mem_limit,
        cpus=limits.cpus,
        pids_limit=limits.pids_limit,
        read_only=optional(fields, "read_only", boolean, False),
        tmpfs=optional(fields, "tmpfs", read_tmpfs, ()),
        network_mode=network_mode,
        pid=optional(fields, "pid", _optional_string, None),
        ipc=optional(fields, "ipc", nonempty_string, None),
        devices=optional(fields, "devices", _devices, ()),
        container_name=optional(fields, "container_name", _container_name, None),
        stop_signal=optional(fields, "stop_signal", _signal, None),
        secrets=optional(fields, "secrets", lambda at: read_references(at, "secrets"), ()),
        configs=optional(fields, "configs", lambda at: read_references(at, "configs"), ()),
        dns_search=optional(fields, "dns_search", read_dns_search, ()),
        dns_opt=optional(fields, "dns_opt", string_list, ()),
        group_add=optional(fields, "group_add", read_group_add, ()),
        shm_size=optional(fields, "shm_size", read_shm_size, None),
        mac_address=optional(fields, "mac_address", read_mac_address, None),
        platform=platform,
        logging=optional(fields, "logging", read_logging, None),
        security_opt=optional(fields, "security_opt", read_security_opt, ()),
        runtime=optional(fields, "runtime", read_runtime, None),
        notes=(
            *((read_develop(fields["develop"]),) if "develop" in fields else ()),
            *(build.notes if build is not None else ()),
        ),
    )


def _container_name(at: At) -> str:
    text = string(at)
    if not CONTAINER_NAME.fullmatch(text):
        at.fail(f"invalid container name {text!r}: a letter or digit, then letters, digits, '_', '.' or '-'")
    return text


def _signal(at: At) -> str:
    """A signal as Compose takes it: a name (SIGINT, INT) or a number; kept as written."""
    text = string(at)
    if signal_number(text) is None:
        at.fail(f"unknown signal {text!r}: use a name such as SIGINT or SIGQUIT, or a number")
    return text


def _argv(at: At) -> tuple[str, ...] | None:
    """A command: null (the image's own), a string split like a shell would, or a list."""
    if at.is_null:
        return None
    if isinstance(at.node, Scalar) and isinstance(at.node.value, str):
        try:
            return tuple(shlex.split(at.node.value))
        except ValueError as exc:
            at.fail(f"cannot split the command into words: {exc}")
    if isinstance(at.node, SeqNode):
        return tuple(string(item) for item in items(at))
    at.expected("a string or a list of strings")


def _absolute(at: At) -> str:
    path = nonempty_string(at)
    if not path.startswith("/"):
        at.fail(f"expected an absolute path in the container, found {path!r}")
    return path


def _optional_string(at: At) -> str | None:
    return None if at.is_null else nonempty_string(at)


def _dependencies(at: At) -> tuple[Dependency, ...]:
    """`depends_on`: a list of service names, or a mapping name -> {condition, required}.

    Each dependency's key path is `services.NAME.depends_on.OTHER`, in both forms.
    """
    found: dict[str, Dependency] = {}
    if isinstance(at.node, SeqNode):
        for item in items(at):
            other = string(item)
            at.child(other, item.node, item.line)
            found.setdefault(other, Dependency(other))
        return tuple(found.values())
    if not isinstance(at.node, MapNode):
        at.expected("a list of service names or a mapping")
    for other, value in entries(at).items():
        fields = checked(value, DEPENDENCY)
        if "condition" not in fields:
            value.fail(f"expected a 'condition', one of {', '.join(_CONDITIONS)}")
        condition = string(fields["condition"])
        if condition not in _CONDITIONS:
            fields["condition"].fail(
                f"unknown condition {condition!r}: expected one of {', '.join(_CONDITIONS)}"
            )
        required = boolean(fields["required"]) if "required" in fields else True
        restart = boolean(fields["restart"]) if "restart" in fields else False
        found[other] = Dependency(other, cast(DependencyCondition, condition), required, restart)
    return tuple(found.values())


def _implied(declared: tuple[Dependency, ...], other: str) -> tuple[Dependency, ...]:
    """Sharing another service's network namespace depends on it, as Compose adds: started
    first, and restarted after it (its namespace goes with its container)."""
    if any(dependency.service == other for dependency in declared):
        return declared
    return (*declared, Dependency(other, "service_started", True, restart=True))


def _pull_policy(at: At) -> PullPolicy:
    policy = string(at)
    if policy == "if_not_present":
        return "missing"  # the same policy under its older name, as Compose writes it
    if policy in _PULL:
        return cast(PullPolicy, policy)
    if _PULL_REFRESH.fullmatch(policy):
        at.fail(f"pull_policy {policy!r}: {UNSUPPORTED} it")
    at.fail(f"unknown pull_policy {policy!r}: expected one of {', '.join(_PULL)}")


def _devices(at: At) -> tuple[str, ...]:
    """`devices`: "host[:container[:permissions]]" strings, or mappings of the same parts."""
    found: list[str] = []
    for item in items(at):
        if isinstance(item.node, MapNode):
            fields = checked(item, DEVICE)
            if "source" not in fields:
                item.fail("a device needs a 'source'")
            parts = [nonempty_string(fields[key]) for key in ("source", "target", "permissions")
                     if key in fields]  # fmt: skip
            found.append(":".join(parts))
        else:
            found.append(nonempty_string(item))
    return tuple(found)
