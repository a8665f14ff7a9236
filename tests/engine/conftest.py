"""Engine fixtures: every engine test runs once on Docker and once on Podman.

Locally an engine that does not answer skips its tests with the reason; with CI=true it fails
them, because CI must prove both engines. The contract suite (test_contract*.py) also runs on
the in-memory fake in both its flavours (`CONTRACT_RUNTIMES`), which keeps the fake honest; a
case that needs a real process says so with `@needs_engine("why")` and skips on the fake.
"""

from __future__ import annotations

import fcntl
import io
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import this_run
from toolkit.errors import EngineUnavailable
from toolkit.images.bootstrap import bootstrap_image, cache_dir
from toolkit.runtime.fake import FakeRuntime
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.select import connect, resolve_engine
from toolkit.runtime.specs import EngineName

BUSYBOX_REF = "labkit-test/busybox:latest"
BUSYBOX_BINARY = Path("/bin/busybox")
DEBIAN = "debian:bookworm"  # the course's default base


# The fake's flavours: each behaves as that engine does through labkit's adapter.
FAKES: dict[str, EngineName] = {"fake-docker": "docker", "fake-podman": "podman"}
CONTRACT_RUNTIMES = ("fake-docker", "fake-podman", "docker", "podman")
# A contract module's mark: its cases run on the fake as well as on both engines.
on_fake_and_engines = pytest.mark.parametrize("runtime", CONTRACT_RUNTIMES, indirect=True)


def needs_engine(why: str) -> pytest.MarkDecorator:
    """Mark a contract case that the fake cannot run (say why: a real process, a real file)."""
    return pytest.mark.needs_engine(why)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_engine(why): a contract case the in-memory fake cannot run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("needs_engine")
        callspec = getattr(item, "callspec", None)
        if marker is not None and callspec is not None and callspec.params.get("runtime") in FAKES:
            item.add_marker(pytest.mark.skip(reason=f"needs a real engine: {marker.args[0]}"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session", params=["docker", "podman"])
def runtime(request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """A real engine adapter, Docker then Podman (or the fake, where a contract module asks)."""
    name = request.param
    if name in FAKES:
        yield FakeRuntime(FAKES[name])
        return
    engine = connect_engine(name)
    yield engine
    engine.close()


def connect_engine(name: str, why: str = "") -> Runtime:
    """A connected adapter of the real engine `name`; in CI one that does not answer fails the
    test, elsewhere it skips it (`why`: what the test needs it for, said in the skip)."""
    try:
        engine = connect(resolve_engine(name, start_podman=lambda: None))
        engine.info()
    except (EngineUnavailable, ImportError) as exc:
        if _in_ci():
            pytest.fail(f"{name} is required in CI and does not answer: {exc}")
        pytest.skip(f"{why}{name} does not answer: {exc}")
    return engine


def busybox_rootfs_tar(path: Path) -> Path:
    """A tiny root filesystem: static busybox with its applets linked, for fast engine tests."""
    if not BUSYBOX_BINARY.exists():
        pytest.fail("busybox-static is missing: run scripts/provision-engines")
    applets = subprocess.run(
        [str(BUSYBOX_BINARY), "--list-full"], capture_output=True, text=True, check=True
    ).stdout.split()
    with tarfile.open(path, "w") as tar:
        for folder in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "root", "proc", "sys"):
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX_BINARY), arcname="bin/busybox")
        for applet in applets:
            if applet == "bin/busybox":
                continue
            link = tarfile.TarInfo(applet)
            link.type = tarfile.SYMTYPE
            link.linkname = "/bin/busybox"
            tar.addfile(link)
        for name, text in (
            ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"),
            ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def ensure_busybox(runtime: Runtime, folder: Path) -> str:
    """Import the tiny busybox image into this engine unless it is there; returns its ref."""
    if not runtime.image_exists(BUSYBOX_REF):
        tar = busybox_rootfs_tar(folder / "rootfs.tar")
        runtime.import_rootfs(
            tar,
            BUSYBOX_REF,
            changes=["ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["/bin/sh"]'],
            labels={"io.labkit.test-image": "busybox"},
        )
    return BUSYBOX_REF


@pytest.fixture(scope="session")
def busybox_image(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The reference of a tiny local image (busybox), imported once per engine and kept."""
    return ensure_busybox(runtime, tmp_path_factory.mktemp("busybox"))


def bootstrapped_base(runtime: Runtime, alias: str = DEBIAN) -> str:
    """The course base `alias` on this engine, made offline once per machine; returns its ref.

    Tests that need the base get it from here instead of skipping when an earlier test did not
    make it, so any subset of the suite runs them. A lock keeps two test processes (an engine
    each) from running debootstrap side by side: the second reuses the first one's tarball.
    """
    lock = cache_dir() / "rootfs" / f".{alias.replace(':', '-')}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        return bootstrap_image(runtime, alias).ref


@pytest.fixture(scope="session")
def debian_base(runtime: Runtime) -> str:
    """debian:bookworm on this engine, debootstrapped once per machine (cached tarball)."""
    return bootstrapped_base(runtime)


@pytest.fixture
def unique_name() -> str:
    """A short name no other test uses, for resources this test creates; it carries the run's
    token, so the leftover check knows what this run made."""
    return this_run.unique()


@pytest.fixture
def test_labels(unique_name: str) -> dict[str, str]:
    """Labels for every resource a test creates, so leftovers can be found and listed."""
    return {"io.labkit.project": unique_name, "io.labkit.test": "contract"}
