"""Compose's durations ("1m30s", "500ms") and byte sizes ("512m", "1gb"), as Compose reads them.

Durations follow Go's `time.ParseDuration` (units ns, us, ms, s, m, h; fractions allowed);
sizes follow Docker's `RAMInBytes` (binary multiples: 1k = 1024 bytes).
"""

from __future__ import annotations

import math
import re

_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?")
_MULTIPLES = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def parse_duration(text: str) -> float:
    """Return the seconds a Compose duration stands for.

    Raises ValueError with a message for the user when `text` is no duration or is negative.
    """
    written = text.strip()
    if written in ("0", "+0", "-0"):
        return 0.0
    body = written.removeprefix("+")
    if body.startswith("-"):
        raise ValueError(f"duration {text!r} is negative")
    seconds = 0.0
    position = 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if match is None:
            break
        seconds += float(match.group(1)) * _SECONDS[match.group(2)]
        position = match.end()
    if not body or position != len(body) or not math.isfinite(seconds):
        raise ValueError(f"invalid duration {text!r}: write a number and a unit, e.g. 10s, 1m30s, 500ms")
    return seconds


def parse_size(text: str) -> int:
    """Return the bytes a Compose size stands for ("512m", "1g", "100k", "1gb", "4096").

    Raises ValueError with a message for the user when `text` is no size.
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid size {text!r}: write bytes or a number with a unit, e.g. 512m, 1g, 100k")
    multiple = _MULTIPLES[(match.group(2) or "").lower()]
    value = float(match.group(1)) * multiple
    if not math.isfinite(value):
        raise ValueError(f"size {text!r} is too large")
    return int(value)
