"""The probe: a container labkit owns on one network of a project, that checks run from.

A check inside a student's container trusts that container's binaries, which the student can
replace (`ping` that always prints "1 received"). A check with `probe: lan` runs instead in
labkit's own container attached to the project's network `lan`: it sees the student's hosts
only from the outside, as a peer on the wire does.

The probe is made before any check of a run starts (by `class up` already, for a class) and
kept for later runs, never while checks run: on Podman 4.3 every container that joins a network
makes aardvark-dns (1.4) tear down and reopen its listeners on every network, and the name
lookups in flight at that moment are lost, so a check doing one waits out its timeout. It
carries the project's label (not a service's), so `labkit down` and `labkit class down` remove
it with the project, and `ps` and the checks' service lookup never mistake it for a student's
host. Its image is `x-labkit.probe_image`, else the image of the first service on that network:
a course image the stack already runs, since nothing can be pulled on a course host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from toolkit.errors import NameConflict
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ContainerInfo, ContainerSpec, NetworkAttachment
from toolkit.stack import naming
from toolkit.stack.model import Check, Stack

LABEL_PROBE = "io.labkit.probe"  # the network key the probe is attached to
PROBE_USER = "root"  # labkit's own container: its checks run as root unless they say otherwise


def probe_name(project: str, network: str) -> str:
    return f"{project}-probe-{network}"


def probe_key(network: str) -> str:
    """The name a probe check finds its probe under, among the services' containers."""
    return f"probe-{network}"


def probe_networks(checks: Iterable[Check]) -> set[str]:
    """The networks some of `checks` run from a probe on."""
    return {check.probe for check in checks if check.probe is not None}


def missing_probes(networks: Iterable[str], containers: Mapping[str, ContainerInfo]) -> set[str]:
    """Those of `networks` whose probe is not among `containers` (keyed as `probe_key` says)."""
    return {network for network in networks if probe_key(network) not in containers}


def listed_probe(info: ContainerInfo) -> str | None:
    """The network of a listed container that is a running probe; None for anything else."""
    network = info.labels.get(LABEL_PROBE)
    return network if network and info.running else None


def probe_image(stack: Stack, network: str) -> str:
    """The probe's image: the exercise's `probe_image`, else a service's on that network."""
    if stack.exercise.probe_image:
        return stack.exercise.probe_image
    for service in stack.services.values():
        if service.image and any(attachment.network == network for attachment in service.networks):
            return service.image
    return next(service.image for service in stack.services.values() if service.image)


def probe_address(stack: Stack, network: str) -> str | None:
    """A static address for the probe that no host of the exercise can want: the highest host
    of the subnet that is not the gateway, a service's address, or in a parameter's range."""
    declared = stack.networks[network]
    if declared.subnet is None:
        return None  # the engine picks the subnet, and the address with it
    subnet = ipaddress.IPv4Network(declared.subnet)
    taken = {declared.gateway} | {
        attachment.ipv4_address
        for service in stack.services.values()
        for attachment in service.networks
        if attachment.network == network
    }
    ranges = [
        (parameter.low, parameter.high)
        for parameter in stack.exercise.parameters
        if parameter.generator == "address" and parameter.network == network
    ]
    for host in range(subnet.num_addresses - 2, 1, -1):
        address = str(subnet.network_address + host)
        if address not in taken and not any(low <= host <= high for low, high in ranges):
            return address
    return None


def ensure_probes(
    runtime: Runtime, stack: Stack, project: str, networks: Iterable[str]
) -> dict[str, ContainerInfo]:
    """The project's running probe on each of `networks`, created (and started) if missing.

    `stack` is the stack as the project runs it (renumbered: its subnets are the engine's).
    """
    wanted = sorted(set(networks))
    if not wanted:
        return {}
    found: dict[str, ContainerInfo] = {}
    for info in runtime.list_containers({naming.LABEL_PROJECT: project, LABEL_PROBE: None}):
        network = info.labels.get(LABEL_PROBE, "")
        if info.running and network in wanted:
            found[network] = info
        elif network in wanted:
            runtime.remove_container(info.id, force=True)  # stopped: make a fresh one
    for network in wanted:
        if network not in found:
            found[network] = _create(runtime, stack, project, network)
    return found


def _create(runtime: Runtime, stack: Stack, project: str, network: str) -> ContainerInfo:
    exercise = stack.folder.name
    labels = {
        **stack.networks[network].labels,  # a test run's label, so its clean-up finds the probe
        **naming.resource_labels(project, exercise),
        LABEL_PROBE: network,
    }
    spec = ContainerSpec(
        image=probe_image(stack, network),
        name=probe_name(project, network),
        labels=labels,
        networks=(
            NetworkAttachment(
                stack.networks[network].explicit_name or naming.network_name(project, network),
                probe_address(stack, network),
            ),
        ),
        command=("sleep", "infinity"),
        init=True,
        hostname="probe",
        cap_add=("NET_RAW",),  # ping from the probe, on Podman too (its defaults lack NET_RAW)
    )
    try:
        container = runtime.create_container(spec)
    except NameConflict:  # another check run of this project made it just now
        for info in runtime.list_containers({naming.LABEL_PROJECT: project, LABEL_PROBE: network}):
            return info
        raise
    runtime.start_container(container)
    return runtime.inspect_container(container)
