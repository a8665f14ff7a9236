"""A service's place on the network: `networks`, `dns`, `extra_hosts`."""

from __future__ import annotations

import ipaddress

from toolkit.stack.compose.fields import (
    At,
    checked,
    entries,
    integer,
    items,
    string,
    string_list,
    string_or_list,
)
from toolkit.stack.compose.keys import SERVICE_NETWORK
from toolkit.stack.compose.yaml_source import MapNode, SeqNode
from toolkit.stack.model import ServiceNetwork


def read_attachments(at: At) -> tuple[ServiceNetwork, ...]:
    """Read a service's `networks`: a list of names, or a mapping of name to settings.

    Each attachment's key path is `services.NAME.networks.NETWORK`, in both forms.
    """
    found: dict[str, ServiceNetwork] = {}
    if isinstance(at.node, SeqNode):
        for item in items(at):
            name = string(item)
            at.child(name, item.node, item.line)  # records the line under the name's path
            found.setdefault(name, ServiceNetwork(name))
        return tuple(found.values())
    if not isinstance(at.node, MapNode):
        at.expected("a list of network names or a mapping")
    for name, value in entries(at).items():
        settings = checked(value, SERVICE_NETWORK, allow_null=True)
        address = _ipv4(settings["ipv4_address"]) if "ipv4_address" in settings else None
        aliases = string_list(settings["aliases"]) if "aliases" in settings else ()
        priority = integer(settings["priority"]) if "priority" in settings else 0
        interface = _interface_name(settings["interface_name"]) if "interface_name" in settings else None
        found[name] = ServiceNetwork(name, address, aliases, priority, interface)
    return tuple(found.values())


def read_dns(at: At) -> tuple[str, ...]:
    """Read `dns`: one server address or a list of them."""
    servers = string_or_list(at)
    for server in servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            at.fail(f"expected the IP address of a DNS server, found {server!r}")
    return servers


def read_extra_hosts(at: At) -> tuple[tuple[str, str], ...]:
    """Read `extra_hosts`: "host:ip" / "host=ip" strings, or a mapping host -> ip (or ips)."""
    found: list[tuple[str, str]] = []
    if isinstance(at.node, MapNode):
        for host, value in entries(at).items():
            addresses = string_list(value) if isinstance(value.node, SeqNode) else (string(value),)
            found.extend((host, _host_address(value, address)) for address in addresses)
    elif isinstance(at.node, SeqNode):
        for item in items(at):
            text = string(item)
            cut = text.find("=") if "=" in text else text.find(":")
            if cut <= 0:
                item.fail(f"expected 'host:ip' or 'host=ip', found {text!r}")
            found.append((text[:cut], _host_address(item, text[cut + 1 :])))
    else:
        at.expected("a list of 'host:ip' strings or a mapping")
    return tuple(dict.fromkeys(found))


def _interface_name(at: At) -> str:
    """A Linux interface name: 1 to 15 characters, no slash, colon or white space."""
    text = string(at)
    if not 0 < len(text) <= 15 or any(c in text for c in "/: \t\n") or text in (".", ".."):
        at.fail(
            f"expected an interface name of 1 to 15 characters without '/', ':' or spaces, found {text!r}"
        )
    return text


def _ipv4(at: At) -> str:
    text = string(at)
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        at.fail(f"expected an IPv4 address, found {text!r}")


def _host_address(at: At, text: str) -> str:
    address = text.strip()
    if address == "host-gateway":
        return address
    try:
        return str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        at.fail(f"expected an IP address (or host-gateway), found {text!r}")
