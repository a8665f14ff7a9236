"""The top-level `networks` and `volumes`: what services may attach to and mount."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path

from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    Keys,
    boolean,
    checked,
    entries,
    items,
    string,
    string_map,
)
from toolkit.stack.compose.keys import IPAM, IPAM_CONFIG, NETWORK, VOLUME
from toolkit.stack.compose.services import CONTAINER_NAME as ENGINE_NAME
from toolkit.stack.compose.services import NAME
from toolkit.stack.compose.yaml_source import MapNode
from toolkit.stack.model import Network, Volume


def read_networks(at: At) -> dict[str, Network]:
    """Read the top-level `networks`: bridge networks, with at most one IPv4 subnet each."""
    found: dict[str, Network] = {}
    for name, fields in _declared(at, "network", NETWORK, "bridge", external_allowed=True):
        if _external(fields):
            found[name] = Network(name=name, external=True, explicit_name=_explicit_name(fields) or name)
            continue
        subnet, gateway = _ipam(fields["ipam"]) if "ipam" in fields else (None, None)
        found[name] = Network(
            name=name,
            driver="bridge",
            subnet=subnet,
            gateway=gateway,
            internal=boolean(fields["internal"]) if "internal" in fields else False,
            labels=string_map(fields["labels"]) if "labels" in fields else {},
            explicit_name=_explicit_name(fields),
        )
    return found


def read_volumes(at: At) -> dict[str, Volume]:
    """Read the top-level `volumes`: local volumes, optionally labelled."""
    found: dict[str, Volume] = {}
    for name, fields in _declared(at, "volume", VOLUME, "local"):
        labels = string_map(fields["labels"]) if "labels" in fields else {}
        options = _driver_opts(fields["driver_opts"]) if "driver_opts" in fields else {}
        found[name] = Volume(
            name=name, labels=labels, explicit_name=_explicit_name(fields), driver_opts=options
        )
    return found


def _declared(
    at: At, kind: str, spec: Keys, driver: str, *, external_allowed: bool = False
) -> Iterator[tuple[str, dict[str, At]]]:
    """(name, fields) of each top-level network or volume, after the checks both share: a
    valid name, known keys, not external (unless allowed), and the one `driver` labkit creates."""
    for name, value in entries(at, allow_null=True).items():
        if not NAME.fullmatch(name):
            value.fail(f"invalid {kind} name {name!r}: use letters, digits, '.', '_' and '-'")
        fields = checked(value, spec, allow_null=True)
        if not external_allowed:
            _not_external(fields, f"{kind}s")
        asked = string(fields["driver"]) if "driver" in fields else driver
        if asked != driver:
            fields["driver"].fail(f"{kind} driver {asked!r}: {UNSUPPORTED} it; use {driver}")
        yield name, fields


def _driver_opts(at: At) -> dict[str, str]:
    """The local driver's options; a bound `device` is read from the file's folder, as Compose
    reads it (an empty one is the folder itself)."""
    options = string_map(at)
    if "bind" in options.get("o", "").split(",") and not options.get("device", "").startswith("/"):
        options["device"] = str(Path(os.path.normpath(at.ctx.folder / options.get("device", ""))))
    return options


def _explicit_name(fields: dict[str, At]) -> str | None:
    """`name:`, the engine's name for the network or volume (the engines' rule for names)."""
    if "name" not in fields:
        return None
    text = string(fields["name"])
    if not ENGINE_NAME.fullmatch(text):
        fields["name"].fail(
            f"invalid name {text!r}: a letter or digit, then letters, digits, '_', '.' or '-'"
        )
    return text


def _external(fields: dict[str, At]) -> bool:
    """`external: true`, with nothing beside it but `name` (the engine's name of the network)."""
    external = fields.get("external")
    if external is None:
        return False
    if isinstance(external.node, MapNode):
        external.fail(f"external: {{name: ...}}: {UNSUPPORTED} this old form; write external: true and name:")
    if not boolean(external):
        return False
    for key in fields:
        if key not in ("external", "name"):
            fields[key].fail(f"an external network takes only 'name' beside 'external', found {key!r}")
    return True


def _not_external(fields: dict[str, At], what: str) -> None:
    external = fields.get("external")
    if external is not None and (isinstance(external.node, MapNode) or boolean(external)):
        external.fail(f"external {what}: {UNSUPPORTED} them; declare it in the file")


def _ipam(at: At) -> tuple[str | None, str | None]:
    fields = checked(at, IPAM)
    if "driver" in fields and string(fields["driver"]) != "default":
        fields["driver"].fail(f"ipam driver {string(fields['driver'])!r}: {UNSUPPORTED} it")
    configs = items(fields["config"]) if "config" in fields else []
    if not configs:
        return None, None
    if len(configs) > 1:
        configs[1].fail(f"more than one ipam config: {UNSUPPORTED} it; give one IPv4 subnet")
    config = checked(configs[0], IPAM_CONFIG)
    if "subnet" not in config:
        if "gateway" in config:
            config["gateway"].fail("a gateway needs a 'subnet' beside it")
        return None, None
    subnet = _subnet(config["subnet"])
    gateway = None
    if "gateway" in config:
        gateway_at = config["gateway"]
        try:
            address = ipaddress.IPv4Address(string(gateway_at))
        except ValueError:
            gateway_at.fail(f"expected an IPv4 address, found {string(gateway_at)!r}")
        if address not in subnet or address in (subnet.network_address, subnet.broadcast_address):
            gateway_at.fail(f"gateway {address} is outside the subnet {subnet}")
        gateway = str(address)
    return str(subnet), gateway


def _subnet(at: At) -> ipaddress.IPv4Network:
    text = string(at)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        at.fail(f"expected a subnet such as '10.0.1.0/24', found {text!r}")
    if network.version == 6:
        at.fail(f"IPv6 subnet {text!r}: {UNSUPPORTED} IPv6 networks")
    assert isinstance(network, ipaddress.IPv4Network)
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError:
        at.fail(f"subnet {text!r} has host bits set: did you mean '{network}'?")
    if network.prefixlen > 30:
        at.fail(f"subnet {text!r} is too small for a gateway and a container")
    return network
