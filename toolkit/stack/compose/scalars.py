"""Scalars typed and written as Compose's YAML library (go-yaml v3) does.

YAML 1.2 rules, not PyYAML's YAML 1.1 ones: `yes`, `on` and `1:30` stay strings; `0777` is
octal and `1_000` a thousand, as in Go; numbers written back into string fields (environment
values, labels) look as Compose writes them: `1.10` -> "1.1", `1e3` -> "1000".
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

ScalarValue = str | int | float | bool | None


def scalar_text(value: ScalarValue) -> str:
    """Write a scalar as Compose writes it into a string field (e.g. an environment value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    return value


def resolve_plain(text: str) -> ScalarValue:
    """Type an unquoted scalar as Compose's YAML library (go-yaml v3) does."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    if _INT_RE.fullmatch(text):
        number = _parse_int(text)
        if number is not None and -(2**63) <= number < 2**64:  # Go's int64 and uint64
            return number
    if _FLOAT_RE.fullmatch(text.replace("_", "")):
        return float(text.replace("_", ""))
    return text


# ---------------------------------------------------------------- internals

_SPECIAL_FLOATS = {
    **{s: math.inf for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: -math.inf for s in ("-.inf", "-.Inf", "-.INF")},
    **{s: math.nan for s in (".nan", ".NaN", ".NAN")},
}
_INT_RE = re.compile(r"[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _parse_int(text: str) -> int | None:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "")
    if not digits:
        return None
    try:
        if digits[:2] in ("0b", "0o", "0x"):
            return sign * int(digits[2:], {"0b": 2, "0o": 8, "0x": 16}[digits[:2]])
        if len(digits) > 1 and digits.startswith("0"):
            # Go reads a leading zero as octal; "09" is then no integer but a float.
            return sign * int(digits, 8) if set(digits) <= set("01234567") else None
        return sign * int(digits)
    except ValueError:
        return None


def _float_text(value: float) -> str:
    # Go's JSON encoding, which Compose uses: plain digits between 1e-6 and 1e21.
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(repr(value)), "f")
    mantissa, _, exponent = repr(value).partition("e")
    return f"{mantissa}e{exponent[0]}{exponent[1:].lstrip('0')}"
