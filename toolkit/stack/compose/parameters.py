"""`x-labkit.parameters`: the values each student of a class gets their own of.

    x-labkit:
      parameters:
        HOST1_IP: {generator: address, network: lan, hosts: 100-199}
        LAN_NET:  {generator: subnet, within: 10.40.0.0/16, prefix: 24}
        HOST1:    {generator: hostname, prefix: lab}     # lab-<three syllables>
        PORT:     {generator: port, range: 8000-8999}
        SECRET:   {generator: word}
        COUNT:    {generator: number, range: 1-100}
        ZONE:     {generator: choice, choices: [north, south, east]}

The file references a parameter as `${NAME:-default}`: Compose's own interpolation, so the file
stays valid for `docker compose` with its defaults, and labkit puts a student's value there
(`toolkit.stack.variants`). Reading a parameter checks it alone; `check_parameters` then
checks it against the whole file: its network, its range against the network's fixed
addresses and the other parameters, and every reference to it.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator

from toolkit.errors import ConfigError
from toolkit.stack.compose.fields import (
    At,
    LoadContext,
    checked,
    entries,
    integer,
    items,
    nonempty_string,
    string,
)
from toolkit.stack.compose.keys import PARAMETER
from toolkit.stack.compose.yaml_source import MapNode, Node, Scalar
from toolkit.stack.model import Parameter, Stack

# Which keys each generator takes besides `generator` (a tuple: the first ones are required).
GENERATORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "address": (("network",), ("hosts",)),
    "subnet": (("within", "prefix"), ()),
    "hostname": ((), ("prefix",)),
    "word": ((), ()),
    "port": (("range",), ()),
    "number": (("range",), ()),
    "choice": (("choices",), ()),
}
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_RANGE = re.compile(r"\s*(\d{1,9})\s*-\s*(\d{1,9})\s*")
_REFERENCE = re.compile(r"\$\{([_A-Za-z][_A-Za-z0-9]*)([^}]?)([^}]?)")
_LABEL = re.compile(r"[a-z][a-z0-9-]{0,20}")


def read_parameters(at: At) -> tuple[Parameter, ...]:
    """Read `x-labkit.parameters`; raise ConfigError at the first wrong one."""
    return tuple(_parameter(name, value) for name, value in entries(at, allow_null=True).items())


def _parameter(name: str, at: At) -> Parameter:
    if not _NAME.fullmatch(name):
        at.fail(f"invalid parameter name {name!r}: use letters, digits and '_', not starting with a digit")
    fields = checked(at, PARAMETER)
    if "generator" not in fields:
        at.fail(f"parameter {name!r} needs a 'generator': one of {', '.join(GENERATORS)}")
    generator = nonempty_string(fields["generator"])
    if generator not in GENERATORS:
        close = difflib.get_close_matches(generator, GENERATORS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        fields["generator"].fail(
            f"unknown generator {generator!r}{hint}; labkit knows: {', '.join(GENERATORS)}"
        )
    required, optional = GENERATORS[generator]
    for key, value in fields.items():
        if key != "generator" and key not in required + optional:
            value.fail(
                f"a {generator} parameter takes no {key!r}; it takes: {', '.join(required + optional)}"
            )
    for key in required:
        if key not in fields:
            at.fail(f"a {generator} parameter needs {key!r}")
    if generator == "address":
        low, high = _range(fields["hosts"]) if "hosts" in fields else (0, 0)
        return _at_least_two(
            Parameter(name, generator, network=nonempty_string(fields["network"]), low=low, high=high), at
        )
    if generator == "subnet":
        within = _network(fields["within"])
        prefix = integer(fields["prefix"], minimum=8, maximum=30)
        if prefix <= within.prefixlen:
            fields["prefix"].fail(
                f"prefix /{prefix} is not inside {within}: use a longer prefix than /{within.prefixlen}"
            )
        return _at_least_two(Parameter(name, generator, within=str(within), prefix=prefix), at)
    if generator == "hostname":
        text = string(fields["prefix"]) if "prefix" in fields else ""
        if text and not _LABEL.fullmatch(text):
            fields["prefix"].fail(
                f"prefix {text!r} is not the start of a host name: lowercase letters, digits, '-'"
            )
        return Parameter(name, generator, text=text)
    if generator in ("port", "number"):
        low, high = _range(fields["range"])
        if generator == "port" and not 1 <= low <= high <= 65535:
            fields["range"].fail(f"ports run from 1 to 65535, found {low}-{high}")
        return _at_least_two(Parameter(name, generator, low=low, high=high), at)
    if generator == "choice":
        choices = tuple(string(item) for item in items(fields["choices"]))
        if len(set(choices)) != len(choices):
            fields["choices"].fail("the choices repeat a value: list each once")
        return _at_least_two(Parameter(name, generator, choices=choices), at)
    return Parameter(name, generator)  # word: nothing to configure


def _range(at: At) -> tuple[int, int]:
    match = _RANGE.fullmatch(str(at.node.value)) if isinstance(at.node, Scalar) else None
    if match is None:
        at.expected("a range LOW-HIGH, e.g. 100-199")
    low, high = int(match.group(1)), int(match.group(2))
    if low > high:
        at.fail(f"the range {low}-{high} is empty: write LOW-HIGH")
    return low, high


def _network(at: At) -> ipaddress.IPv4Network:
    text = nonempty_string(at)
    try:
        return ipaddress.IPv4Network(text)
    except ValueError as exc:
        at.fail(f"invalid IPv4 network {text!r}: {exc}")


def _at_least_two(parameter: Parameter, at: At) -> Parameter:
    """A parameter every student gets the same value of varies nothing: refuse it."""
    if _choices(parameter) == 1:
        at.fail(f"parameter {parameter.name!r} has one possible value: every student would get it; widen it")
    return parameter


def _choices(parameter: Parameter) -> int:
    if parameter.generator == "subnet":
        return 1 << (parameter.prefix - ipaddress.IPv4Network(parameter.within or "0.0.0.0/0").prefixlen)
    if parameter.generator == "choice":
        return len(parameter.choices)
    if parameter.generator == "address" and parameter.high == 0:
        return 2  # the whole network: checked against its size by check_parameters
    return parameter.high - parameter.low + 1


def check_parameters(stack: Stack, raw: MapNode, ctx: LoadContext) -> None:
    """Check the parameters against the file: networks, ranges, collisions and references.

    `raw` is the file before interpolation, where `${NAME}` references are still visible.
    """
    parameters = {parameter.name: parameter for parameter in stack.exercise.parameters}
    if not parameters:
        return
    taken: dict[str, list[tuple[str, int, int]]] = {}  # network -> (parameter, low, high)
    for parameter in parameters.values():
        if parameter.generator == "address":
            _address_fits(parameter, stack, raw, ctx, taken.setdefault(parameter.network or "", []))
    used = _references(raw, parameters, ctx)
    for name in parameters:
        if name not in used:
            raise ctx.error(
                f"parameter {name!r} is never used: reference it in the file as ${{{name}:-default}}",
                f"x-labkit.parameters.{name}",
            )


def _address_fits(
    parameter: Parameter, stack: Stack, raw: MapNode, ctx: LoadContext, taken: list[tuple[str, int, int]]
) -> None:
    path = f"x-labkit.parameters.{parameter.name}"
    network = stack.networks.get(parameter.network or "")
    if network is None:
        raise ctx.error(
            f"parameter {parameter.name!r} is an address in network {parameter.network!r}, which the "
            f"top-level 'networks' does not declare; declared: {', '.join(stack.networks) or 'none'}",
            path,
        )
    if network.subnet is None:
        raise ctx.error(f"network {network.name!r} has no subnet: give it one under ipam.config", path)
    subnet = ipaddress.IPv4Network(network.subnet)
    low, high = (parameter.low, parameter.high) if parameter.high else (2, subnet.num_addresses - 2)
    if high >= subnet.num_addresses - 1 or low < 1:
        raise ctx.error(
            f"hosts {low}-{high} of parameter {parameter.name!r} are outside network {network.name!r} "
            f"({subnet} holds hosts 1-{subnet.num_addresses - 2})",
            path,
        )
    fixed = [ipaddress.IPv4Address(network.gateway)] if network.gateway else []
    fixed += _literal_addresses(raw, network.name)
    for address in fixed:
        host = int(address) - int(subnet.network_address)
        if low <= host <= high:
            raise ctx.error(
                f"hosts {low}-{high} of parameter {parameter.name!r} include {address}, which network "
                f"{network.name!r} already uses: some students would get a clash; narrow the range",
                path,
            )
    for other, other_low, other_high in taken:
        if low <= other_high and other_low <= high:
            raise ctx.error(
                f"hosts {low}-{high} of parameter {parameter.name!r} overlap those of {other!r} in network "
                f"{network.name!r}: some students would get one address twice; make the ranges apart",
                path,
            )
    taken.append((parameter.name, low, high))


def _literal_addresses(raw: MapNode, network: str) -> list[ipaddress.IPv4Address]:
    """Static addresses on `network` written as literals (not parameters) in the raw file."""
    found: list[ipaddress.IPv4Address] = []
    services = _child(raw, "services")
    for service in services.entries if isinstance(services, MapNode) else ():
        networks = _child(service.value, "networks")
        attachment = _child(networks, network) if isinstance(networks, MapNode) else None
        address = _child(attachment, "ipv4_address") if isinstance(attachment, MapNode) else None
        if isinstance(address, Scalar) and isinstance(address.value, str) and "$" not in address.value:
            try:
                found.append(ipaddress.IPv4Address(address.value))
            except ValueError:
                continue  # the loader has refused it already
    return found


def _child(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MapNode):
        return None
    return next((entry.value for entry in node.entries if entry.key == key), None)


def _references(raw: MapNode, parameters: dict[str, Parameter], ctx: LoadContext) -> set[str]:
    """Every parameter the file references; raise at a reference without a default, and at a
    reference in x-labkit to a name that is no parameter (a typo)."""
    used: set[str] = set()
    for path, line, text in _scalars(raw, ""):
        in_exercise = path.startswith("x-labkit.")
        for match in _REFERENCE.finditer(text.replace("$$", "")):
            name = match.group(1)
            if name in parameters:
                used.add(name)
                if match.group(2) != "-" and match.group(2) + match.group(3) != ":-":
                    raise _at(
                        ctx,
                        path,
                        line,
                        f"parameter {name!r} is used without a default: write ${{{name}:-default}}",
                    )
            elif in_exercise and not name.startswith("LABKIT_"):
                close = difflib.get_close_matches(name, parameters, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise _at(
                    ctx,
                    path,
                    line,
                    f"${{{name}}} is not a parameter of this exercise{hint}; "
                    f"declared: {', '.join(parameters)}",
                )
    return used


def _at(ctx: LoadContext, path: str, line: int, message: str) -> ConfigError:
    return ConfigError(message, file=ctx.display, line=line, key_path=path)


def _scalars(node: Node, path: str) -> Iterator[tuple[str, int, str]]:
    """(key path, line, text) of every string in the tree, keys included."""
    if isinstance(node, Scalar):
        if isinstance(node.value, str):
            yield path, node.line, node.value
    elif isinstance(node, MapNode):
        for entry in node.entries:
            child = f"{path}.{entry.key}" if path else entry.key
            yield child, entry.line, entry.key
            yield from _scalars(entry.value, child)
    else:
        for index, item in enumerate(node.items):
            yield from _scalars(item, f"{path}[{index}]")
