"""Waiting for Podman's resolver after a start: the DNS query and reply, and the wait itself
against a local UDP server that is closed at first (as aardvark-dns is while it reloads)."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from toolkit.runtime.podman.resolver import answered, query, resolvers_of, wait_until_resolvable


def reply(request: bytes, *, answers: int, rcode: int = 0) -> bytes:
    ident = struct.unpack_from(">H", request)[0]
    return struct.pack(">HHHHHH", ident, 0x8180 | rcode, 1, answers, 0, 0) + request[12:]


def test_a_query_asks_for_the_a_record_of_each_label() -> None:
    assert query("lab-probe.lan", 7) == (
        b"\x00\x07\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        + b"\x09lab-probe\x03lan\x00"
        + b"\x00\x01\x00\x01"
    )


def test_only_an_answer_with_a_record_to_this_query_counts() -> None:
    request = query("host2", 9)
    assert answered(reply(request, answers=1), 9)
    assert not answered(reply(request, answers=0, rcode=3), 9)  # NXDOMAIN: not known yet
    assert not answered(reply(request, answers=1), 10)  # another query's answer
    assert not answered(b"\x00\x09", 9)


def test_the_resolvers_are_the_gateways_of_the_networks_that_resolve_names() -> None:
    document = {
        "NetworkSettings": {
            "Networks": {
                "p_lan": {"IPAddress": "10.1.0.5", "Gateway": "10.1.0.1"},
                "p_plain": {"IPAddress": "10.2.0.5", "Gateway": "10.2.0.1"},
                "p_gone": {"IPAddress": "", "Gateway": "10.3.0.1"},
            }
        }
    }
    assert resolvers_of(document, lambda name: name != "p_plain") == ["10.1.0.1"]


@pytest.fixture
def port() -> Iterator[int]:
    """A free UDP port on 127.0.0.1, nothing listening on it yet."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    yield free


def serve_after(port: int, opened: threading.Event, answered_once: threading.Event) -> None:
    opened.wait()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", port))
        server.settimeout(10)
        request, peer = server.recvfrom(512)
        server.sendto(reply(request, answers=1), peer)
        answered_once.set()


def test_the_wait_goes_on_while_the_resolver_is_closed_and_ends_when_it_answers(port: int) -> None:
    opened, answered_once = threading.Event(), threading.Event()
    server = threading.Thread(target=serve_after, args=(port, opened, answered_once), daemon=True)
    server.start()
    refused_first = threading.Timer(0.3, opened.set)  # closed for a moment, then listening
    refused_first.start()
    assert wait_until_resolvable("host2", ["127.0.0.1"], wait=10, port=port)
    server.join(5)
    assert answered_once.is_set()  # the answer came from the server once it listened


def test_the_wait_gives_up_without_failing_when_nothing_answers(port: int) -> None:
    assert not wait_until_resolvable("host2", ["127.0.0.1"], wait=0.3, port=port)
