"""The one rule for interface names and order, and the Docker adapter's reading of it."""

from __future__ import annotations

import pytest

from toolkit.errors import UsageError
from toolkit.runtime.docker.interfaces import IFNAME_OPTION, dockers_names, endpoint_options
from toolkit.runtime.specs import NetworkAttachment
from toolkit.stack.interfaces import format_label, in_interface_order, interface_names, parse_label
from toolkit.stack.model import ServiceNetwork


def test_networks_are_numbered_by_name_as_docker_does() -> None:
    written = (ServiceNetwork("zeta"), ServiceNetwork("alpha"), ServiceNetwork("mid"))
    assert interface_names(written) == {"alpha": "eth0", "mid": "eth1", "zeta": "eth2"}


def test_internal_networks_come_last_and_priority_first_within_each_kind() -> None:
    written = (ServiceNetwork("back"), ServiceNetwork("zeta", priority=5), ServiceNetwork("alpha"))
    assert [n.network for n in in_interface_order(written, {"back"})] == ["zeta", "alpha", "back"]


def test_a_named_interface_keeps_its_name_and_the_others_skip_it() -> None:
    written = (ServiceNetwork("alpha", interface_name="eth0"), ServiceNetwork("beta"), ServiceNetwork("aaa"))
    assert interface_names(written) == {"aaa": "eth1", "alpha": "eth0", "beta": "eth2"}


def test_the_label_round_trips() -> None:
    names = {"lan1": "eth0", "lan2": "eth1"}
    assert parse_label(format_label(names)) == names
    assert parse_label("") == {}


def _attachments(*names: tuple[str, str | None]) -> list[NetworkAttachment]:
    return [NetworkAttachment(network, interface_name=name) for network, name in names]


def test_docker_needs_nothing_for_the_names_it_gives_anyway() -> None:
    spec = _attachments(("p-alpha", "eth0"), ("p-zeta", "eth1"), ("p-back", "eth2"))
    internal = {"p-back"}.__contains__
    assert dockers_names(spec, internal) == ["eth0", "eth1", "eth2"]
    assert endpoint_options("c", spec, "1.41", lambda: "20.10", internal) == [None, None, None]


def test_docker_before_api_1_48_refuses_other_names_in_one_line() -> None:
    spec = _attachments(("p-zeta", "eth0"), ("p-alpha", "eth1"))
    with pytest.raises(UsageError) as refused:
        endpoint_options("p-box", spec, "1.41", lambda: "20.10.24", lambda network: False)
    assert str(refused.value).startswith("container p-box: Docker 20.10.24 (API 1.41) numbers interfaces")
    assert "p-zeta would be eth1, not eth0" in str(refused.value)


def test_docker_from_api_1_48_names_the_interface() -> None:
    spec = _attachments(("p-alpha", "lan0"))
    assert endpoint_options("c", spec, "1.48", lambda: "28.0", lambda network: False) == [
        {IFNAME_OPTION: "lan0"}
    ]
