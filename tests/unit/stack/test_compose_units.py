"""Compose durations and byte sizes."""

from __future__ import annotations

import pytest

from toolkit.stack.compose.units import parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("1.5h", 5400.0),
        ("2h45m10s", 9910.0),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("100ns", 1e-7),
        ("0", 0.0),
        ("0s", 0.0),
        ("+5s", 5.0),
        (".5s", 0.5),
        ("1m0s", 60.0),
    ],
)
def test_durations_read_like_go(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "10", "10x", "s", "1m 30s", "ten seconds", "1d", "5s5"])
def test_bad_durations_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="e.g. 10s, 1m30s, 500ms"):
        parse_duration(text)


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_duration("-5s")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("100k", 100 * 1024),
        ("512m", 512 * 1024**2),
        ("512M", 512 * 1024**2),
        ("1g", 1024**3),
        ("1gb", 1024**3),
        ("1GiB", 1024**3),
        ("1.5G", 1610612736),
        ("2 t", 2 * 1024**4),
        ("10b", 10),
    ],
)
def test_sizes_are_binary_multiples(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "12xb", "m", "-1g", "1.g", "1 gigabyte"])
def test_bad_sizes_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="e.g. 512m, 1g, 100k"):
        parse_size(text)
