"""The engine contract: every Runtime operation behaves the same on Docker and on Podman.

Each test runs once per engine, and on the in-memory fake in both flavours, through the `runtime`
fixture and never asks which it has; a case the fake cannot run is marked `needs_engine`.
This module also holds `Lab`, the helper the other test_contract_* modules use to create
resources that are removed whatever happens.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.engine.conftest import needs_engine, on_fake_and_engines
from toolkit.errors import (
    ContainerNotFound,
    EngineUnavailable,
    ImageNotFound,
    NameConflict,
    NetworkNotFound,
    NotFound,
    VolumeNotFound,
)
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import EngineChoice, connect, parse_engine_name
from toolkit.runtime.specs import ContainerSpec, Mount, NetworkInfo, NetworkSpec, VolumeSpec

pytestmark = [pytest.mark.engine, on_fake_and_engines]

T = TypeVar("T")


def wait_for(probe: Callable[[], T], attempts: int = 100, delay: float = 0.1) -> T:
    """Poll until `probe` returns something truthy; return its last value (asserted by the caller).

    This bounds how long a test waits for the engine to get somewhere; it asserts nothing about
    how fast the engine is.
    """
    value = probe()
    for _ in range(attempts):
        if value:
            break
        time.sleep(delay)
        value = probe()
    return value


@dataclass
class Lab:
    """Creates labelled resources for one test and removes them all when it ends."""

    runtime: Runtime
    image: str
    labels: Mapping[str, str]
    prefix: str
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    def container(self, suffix: str = "c", *, start: bool = True, **fields: Any) -> str:
        """Create (and start) a busybox container that sleeps, unless `fields` say otherwise."""
        extra_labels = fields.pop("labels", {})
        values: dict[str, Any] = {
            "image": self.image,
            "name": self.name(suffix),
            "command": ("sleep", "3600"),
            "init": True,  # sleep ignores SIGTERM as PID 1; an init makes stop and remove quick
            "labels": {**self.labels, **extra_labels},
        }
        values.update(fields)
        container_id = self.runtime.create_container(ContainerSpec(**values))
        self.containers.append(container_id)
        if start:
            self.runtime.start_container(container_id)
        return container_id

    def network(self, suffix: str = "net", **fields: Any) -> NetworkInfo:
        spec = NetworkSpec(name=self.name(suffix), labels=dict(self.labels), **fields)
        self.networks.append(spec.name)
        return self.runtime.create_network(spec)

    def volume(self, suffix: str = "vol") -> str:
        name = self.name(suffix)
        self.volumes.append(name)
        return self.runtime.create_volume(VolumeSpec(name, labels=dict(self.labels))).name

    def close(self) -> None:
        for container in reversed(self.containers):
            with contextlib.suppress(NotFound):
                self.runtime.remove_container(container, force=True, volumes=True)
        for network in self.networks:
            with contextlib.suppress(NotFound):
                self.runtime.remove_network(network)
        for volume in self.volumes:
            with contextlib.suppress(NotFound):
                self.runtime.remove_volume(volume, force=True)
        for image in self.images:
            with contextlib.suppress(NotFound):
                self.runtime.remove_image(image, force=True)


@pytest.fixture(name="lab")
def lab_fixture(
    runtime: Runtime, busybox_image: str, test_labels: dict[str, str], unique_name: str
) -> Iterator[Lab]:
    """A Lab for this test; the other test_contract_* modules import it as `lab_fixture`."""
    made = Lab(runtime, busybox_image, test_labels, unique_name)
    try:
        yield made
    finally:
        made.close()


def run(runtime: Runtime, container: str, script: str) -> str:
    """Run a shell script in the container, insist that it succeeds, return its stdout."""
    result = runtime.exec(container, ["sh", "-c", script])
    assert result.exit_code == 0, (script, result)
    return result.stdout.strip()


# ---------------------------------------------------------------- tests


@needs_engine("the fake has no socket and no version")
def test_info_describes_the_engine(runtime: Runtime) -> None:
    info = runtime.info()
    assert info.name == runtime.name
    assert info.version and info.api_version
    assert Path(info.socket).exists()
    assert isinstance(info.rootless, bool)


@needs_engine("it connects to a socket, which the fake has not")
def test_a_socket_nobody_serves_is_engine_unavailable(runtime: Runtime, tmp_path: Path) -> None:
    choice = EngineChoice(parse_engine_name(runtime.name, "test"), str(tmp_path / "no.sock"), "test")
    with pytest.raises(EngineUnavailable):
        connect(choice).info()


def test_missing_resources_raise_the_matching_not_found(
    runtime: Runtime, busybox_image: str, unique_name: str
) -> None:
    missing = f"{unique_name}-missing"
    container_calls: list[Callable[[], object]] = [
        lambda: runtime.inspect_container(missing),
        lambda: runtime.start_container(missing),
        lambda: runtime.stop_container(missing),
        lambda: runtime.remove_container(missing),
        lambda: runtime.exec(missing, ["true"]),
    ]
    for call in container_calls:
        with pytest.raises(ContainerNotFound):
            call()
    image_calls: list[Callable[[], object]] = [
        lambda: runtime.inspect_image(f"labkit-test/{missing}:latest"),
        lambda: runtime.remove_image(f"labkit-test/{missing}:latest"),
        lambda: runtime.create_container(ContainerSpec(image=f"labkit-test/{missing}:latest", name=missing)),
    ]
    for call in image_calls:
        with pytest.raises(ImageNotFound):
            call()
    assert not runtime.image_exists(f"labkit-test/{missing}:latest")
    with pytest.raises(NetworkNotFound):
        runtime.inspect_network(missing)
    with pytest.raises(NetworkNotFound):
        runtime.remove_network(missing)
    with pytest.raises(VolumeNotFound):
        runtime.remove_volume(missing)


def test_a_taken_container_name_is_a_name_conflict(runtime: Runtime, lab: Lab) -> None:
    lab.container("twin", start=False)
    with pytest.raises(NameConflict):
        lab.container("twin", start=False)
    assert len(runtime.list_containers({"io.labkit.project": lab.prefix})) == 1


@needs_engine("a file written in one container is read in another")
def test_volumes_are_listed_by_label_shared_and_removed(
    runtime: Runtime, lab: Lab, test_labels: dict[str, str]
) -> None:
    volume = lab.volume()
    listed = runtime.list_volumes({"io.labkit.project": lab.prefix})
    assert [v.name for v in listed] == [volume]
    assert listed[0].labels["io.labkit.project"] == lab.prefix
    assert volume in {v.name for v in runtime.list_volumes({"io.labkit.project": None})}

    data = Mount(kind="volume", source=volume, target="/data")
    writer = lab.container("writer", mounts=(data,))
    run(runtime, writer, "echo kept > /data/note")
    runtime.remove_container(writer)
    reader = lab.container("reader", mounts=(data,))
    assert run(runtime, reader, "cat /data/note") == "kept"

    runtime.remove_container(reader)
    runtime.remove_volume(volume)
    assert runtime.list_volumes({"io.labkit.project": lab.prefix}) == []
