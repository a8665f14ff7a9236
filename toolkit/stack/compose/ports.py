"""A service's `ports` (short "[IP:][HOST:]CONTAINER[/PROTO]" and long form) and `expose`.

Ranges of equal length ("8000-8001:80-81") are expanded into one mapping per port, as
Compose does. A host range for a single container port lets the engine pick one host port of
the range: labkit refuses that rather than guess.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from toolkit.stack.compose.fields import (
    UNSUPPORTED,
    At,
    checked,
    items,
    scalar_string,
)
from toolkit.stack.compose.keys import PORT
from toolkit.stack.compose.yaml_source import MapNode
from toolkit.stack.model import PortMapping

Protocol = Literal["tcp", "udp"]
_RANGE = re.compile(r"(\d{1,9})(?:-(\d{1,9}))?")
_EXPOSE = re.compile(r"\d+(-\d+)?(/(tcp|udp))?")


def read_ports(at: At) -> tuple[PortMapping, ...]:
    """Read `ports`: a list of short strings, numbers or long-form mappings."""
    found: list[PortMapping] = []
    for item in items(at):
        if isinstance(item.node, MapNode):
            found.append(_long(item))
        else:
            found.extend(_short(item, scalar_string(item)))
    return tuple(dict.fromkeys(found))


def read_expose(at: At) -> tuple[str, ...]:
    """Read `expose`: ports or ranges, with an optional protocol ("80", "8000-8010/udp")."""
    found: list[str] = []
    for item in items(at):
        text = scalar_string(item)
        if not _EXPOSE.fullmatch(text):
            item.fail(f"expected a port such as '80' or '80/udp', found {text!r}")
        found.append(text)
    return tuple(dict.fromkeys(found))


def _short(at: At, spec: str) -> list[PortMapping]:
    rest, _, protocol_text = spec.partition("/")
    protocol = _protocol(at, protocol_text or "tcp")
    host_ip = ""
    if rest.startswith("["):  # an IPv6 address: [::1]:8080:80
        address, bracket, rest = rest[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            at.fail(f"invalid port {spec!r}: an IPv6 address needs [brackets]:")
        host_ip, rest = _address(at, address), rest[1:]
        published_text, _, target_text = rest.rpartition(":")
    else:
        parts = rest.split(":")
        if len(parts) > 3:
            at.fail(f"invalid port {spec!r}: expected [IP:][HOST:]CONTAINER[/PROTOCOL]")
        target_text = parts[-1]
        published_text = parts[-2] if len(parts) >= 2 else ""
        if len(parts) == 3:
            host_ip = _address(at, parts[0])
    targets = _range(at, target_text, spec)
    published = _range(at, published_text, spec) if published_text else None
    if published is None:
        return [PortMapping(target, None, host_ip, protocol) for target in targets]
    if len(published) == len(targets):
        return [
            PortMapping(target, host, host_ip, protocol)
            for target, host in zip(targets, published, strict=True)
        ]
    if len(targets) == 1:
        at.fail(
            f"port {spec!r} publishes a range of host ports for one container port: "
            f"{UNSUPPORTED} letting the engine pick; publish one host port"
        )
    at.fail(f"invalid port {spec!r}: the host and container ranges differ in length")


def _long(at: At) -> PortMapping:
    fields = checked(at, PORT)
    if "target" not in fields:
        at.fail("a port needs a 'target'")
    target_text = scalar_string(fields["target"])
    targets = _range(fields["target"], target_text, target_text)
    if len(targets) != 1:
        fields["target"].fail(f"expected one container port, found {target_text!r}")
    published: int | None = None
    if "published" in fields:
        text = scalar_string(fields["published"])
        hosts = _range(fields["published"], text, text)
        if len(hosts) != 1:
            fields["published"].fail(
                f"a range of host ports for one container port: {UNSUPPORTED} it; publish one host port"
            )
        published = hosts[0]
    host_ip = ""
    if "host_ip" in fields:
        host_ip = _address(fields["host_ip"], scalar_string(fields["host_ip"]))
    protocol: Protocol = "tcp"
    if "protocol" in fields:
        protocol = _protocol(fields["protocol"], scalar_string(fields["protocol"]))
    if "mode" in fields and scalar_string(fields["mode"]) not in ("ingress", "host"):
        fields["mode"].fail("expected 'ingress' or 'host'")
    return PortMapping(targets[0], published, host_ip, protocol)


def _range(at: At, text: str, spec: str) -> list[int]:
    match = _RANGE.fullmatch(text.strip())
    if match is None:
        at.fail(f"invalid port {spec!r}: {text!r} is no port number or range")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    for port in (first, last):
        if not 1 <= port <= 65535:
            at.fail(f"invalid port {spec!r}: {port} is not between 1 and 65535")
    if last < first:
        at.fail(f"invalid port {spec!r}: the range {text!r} runs backwards")
    return list(range(first, last + 1))


def _protocol(at: At, text: str) -> Protocol:
    if text == "tcp":
        return "tcp"
    if text == "udp":
        return "udp"
    if text == "sctp":
        at.fail(f"protocol 'sctp': {UNSUPPORTED} it; use tcp or udp")
    at.fail(f"unknown protocol {text!r}: expected tcp or udp")


def _address(at: At, text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        at.fail(f"expected an IP address to publish on, found {text!r}")
