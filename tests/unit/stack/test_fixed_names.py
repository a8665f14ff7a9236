"""Networks and volumes with `name:`: the engine's name as written, held by one project."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import StackError
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.specs import NetworkSpec, VolumeSpec
from toolkit.stack import naming
from toolkit.stack.fixed_names import check_fixed_names
from toolkit.stack.model import Network, Service, Stack, Volume, VolumeMount
from toolkit.stack.specs_from_model import network_spec, volume_spec

STACK = Stack(
    "lab",
    Path("/lab/compose.yaml"),
    {"web": Service("web", image="x", volumes=(VolumeMount("volume", "/d", "data"),))},
    {"front": Network("front", explicit_name="shared-front"), "back": Network("back")},
    {"data": Volume("data", explicit_name="shared-data")},
)


def test_explicit_names_are_the_engine_names() -> None:
    assert network_spec("alice", "lab", STACK.networks["front"]).name == "shared-front"
    assert network_spec("alice", "lab", STACK.networks["back"]).name == "alice-back"
    assert volume_spec("alice", "lab", STACK.volumes["data"]).name == "shared-data"


def test_a_name_held_by_another_project_or_not_labkits_is_refused() -> None:
    runtime = FakeRuntime()
    check_fixed_names(runtime, "alice", STACK, ["front", "back"], ["data"])  # nothing there yet
    runtime.create_network(NetworkSpec("shared-front", labels={naming.LABEL_PROJECT: "alice"}))
    check_fixed_names(runtime, "alice", STACK, ["front"], [])  # alice's own: fine
    with pytest.raises(StackError, match="network front is named shared-front, and a network of that name "
                       r"exists \(labkit project alice\)"):  # fmt: skip
        check_fixed_names(runtime, "bob", STACK, ["front"], [])
    runtime.create_volume(VolumeSpec("shared-data"))
    with pytest.raises(StackError, match=r"volume data is named shared-data, .* \(not labkit's\)"):
        check_fixed_names(runtime, "alice", STACK, [], ["data"])


def test_an_external_network_must_exist_and_may_be_anyones() -> None:
    stack = Stack(
        "lab",
        Path("/lab/compose.yaml"),
        {},
        {"ext": Network("ext", external=True, explicit_name="made-by-hand")},
        {},
    )
    runtime = FakeRuntime()
    with pytest.raises(StackError, match="network ext is external: docker has no network named made-by-hand"):
        check_fixed_names(runtime, "alice", stack, ["ext"], [])
    runtime.create_network(NetworkSpec("made-by-hand"))  # not labkit's: fine, it is shared on purpose
    check_fixed_names(runtime, "alice", stack, ["ext"], [])
