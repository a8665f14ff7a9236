"""A student's variant of an exercise: their parameter values, and the exercise loaded with them.

Each value is HMAC-SHA256(course secret, exercise NUL student NUL parameter), read as a number
and mapped onto the parameter's generator: deterministic (the same student always gets the same
lab, and the instructor can reproduce it) and unguessable without the secret.

The values reach the file as interpolation variables, the way Compose's own `${NAME:-default}`
reads them, so the Compose file, its checks, solution and description all see the same values.
An address parameter is a host number in its network; when the network is renumbered (`--renumber`,
a class on one host), the renumbering moves the address with its network.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.stack.compose.loader import load_stack, normalise_project_name
from toolkit.stack.model import Network, Parameter, Stack

LABEL_STUDENT = "io.labkit.student"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")

# Syllables of made-up words: easy to read aloud and type, 70 of them, so three give 343,000 names.
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class Variant:
    """One student's values of one exercise, in the order the exercise declares them."""

    student: str
    values: Mapping[str, str]


def check_student_id(student: str) -> str:
    """The id itself when it can name a project; UsageError otherwise."""
    if not STUDENT_ID.fullmatch(student):
        raise UsageError(
            f"invalid student id {student!r}: use up to 40 letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return student


def student_project(exercise: str, student: str) -> str:
    """The project a student's copy of an exercise runs as: `<exercise>-<id>`."""
    return normalise_project_name(f"{exercise}-{check_student_id(student).replace('.', '-')}")


def _number(secret: bytes, exercise: str, student: str, name: str) -> int:
    message = "\0".join((exercise, student, name)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest(), "big")


def _syllables(number: int, count: int) -> str:
    letters: list[str] = []
    for _ in range(count):
        number, syllable = divmod(number, len(_CONSONANTS) * len(_VOWELS))
        consonant, vowel = divmod(syllable, len(_VOWELS))
        letters += [_CONSONANTS[consonant], _VOWELS[vowel]]
    return "".join(letters)


def derive_value(parameter: Parameter, number: int, networks: Mapping[str, Network]) -> str:
    """The value `number` (an HMAC) gives `parameter`; addresses need the stack's networks."""
    kind = parameter.generator
    if kind in ("port", "number"):
        return str(parameter.low + number % (parameter.high - parameter.low + 1))
    if kind == "choice":
        return parameter.choices[number % len(parameter.choices)]
    if kind == "hostname":
        word = _syllables(number, 3)
        return f"{parameter.text}-{word}" if parameter.text else word
    if kind == "word":
        return _syllables(number, 4)
    if kind == "subnet":
        within = ipaddress.IPv4Network(parameter.within or "")
        subnets = 1 << (parameter.prefix - within.prefixlen)
        size = 1 << (32 - parameter.prefix)
        start = within.network_address + (number % subnets) * size
        return f"{start}/{parameter.prefix}"
    if kind == "address":
        subnet = ipaddress.IPv4Network(networks[parameter.network or ""].subnet or "")
        low, high = (parameter.low, parameter.high) if parameter.high else (2, subnet.num_addresses - 2)
        return str(subnet.network_address + low + number % (high - low + 1))
    raise ValueError(f"unknown generator {kind!r}")  # the loader refuses these


def variant(stack: Stack, student: str, secret: bytes) -> Variant:
    """A student's values for the parameters of `stack` (loaded with those of its subnets, and
    under its own name: the exercise's, not a project's, so `-p` changes no value)."""
    values: dict[str, str] = {}
    for parameter in stack.exercise.parameters:
        number = _number(secret, stack.name, student, parameter.name)
        values[parameter.name] = derive_value(parameter, number, stack.networks)
    return Variant(student, values)


def load_variant(
    path: Path,
    student: str | None,
    secret: bytes | None,
    *,
    environ: Mapping[str, str],
    project: str | None = None,
) -> tuple[Stack, Variant | None]:
    """Load an exercise as `student` gets it: their values in every `${NAME:-default}`.

    Without a student, parameters take the file's defaults, whatever the environment holds
    (a shell's own HOSTNAME must not leak into a lab). An exercise without parameters loads
    as it is, for a student too.

    Raises:
        ConfigError: the file is wrong (before any value is derived).
        UsageError: the student id cannot name a project.
    """
    plain = dict(environ)
    stack = load_stack(path, environ=plain)
    names = {parameter.name for parameter in stack.exercise.parameters}
    if names & plain.keys():
        plain = {key: value for key, value in plain.items() if key not in names}
        stack = load_stack(path, environ=plain)
    if student is None or not names or secret is None:
        return (stack if project is None else load_stack(path, environ=plain, project=project)), None
    check_student_id(student)
    subnets = [p for p in stack.exercise.parameters if p.generator == "subnet"]
    if subnets:
        # The networks' subnets may be parameters themselves: load once with those, so that
        # addresses are drawn in the student's own subnets.
        first = {p.name: variant(stack, student, secret).values[p.name] for p in subnets}
        stack = load_stack(path, environ={**plain, **first})
    chosen = variant(stack, student, secret)
    return load_stack(path, environ={**plain, **chosen.values}, project=project), chosen
