"""The offline base: the rootfs step with a stand-in for debootstrap, and the import decision."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from toolkit.errors import BuildFailed, UsageError
from toolkit.images.bootstrap import (
    BOOTSTRAPPED_LABEL,
    apt_sources,
    bootstrap_image,
    debootstrap_argv,
    make_rootfs_tarball,
    run_command,
    tarball_path,
)
from toolkit.images.families import BASES
from toolkit.runtime.fake import FakeRuntime

BOOKWORM = BASES["debian:bookworm"]


class FakeDebootstrap:
    """Writes a tiny tree where debootstrap would, as debootstrap leaves it; tar is real."""

    def __init__(self, exit_code: int = 0) -> None:
        self.exit_code = exit_code
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], on_output: Callable[[str], None]) -> int:
        self.calls.append(list(argv))
        if argv[0] != "debootstrap":
            return run_command(argv, on_output)
        target = Path(argv[-2] if argv[-1].startswith("http") else argv[-3])
        for folder in ("bin", "etc/apt", "var/cache/apt/archives", "var/lib/apt/lists", "dev"):
            (target / folder).mkdir(parents=True, exist_ok=True)
        (target / "bin" / "bash").write_text("#!fake\n")
        (target / "etc" / "hostname").write_text("the-build-host\n")
        (target / "etc" / "resolv.conf").write_text("nameserver 10.9.9.9\n")
        (target / "var/cache/apt/archives/bash_5.deb").write_text("deb")
        (target / "var/cache/apt/pkgcache.bin").write_text("bin")
        (target / "var/lib/apt/lists/deb.debian.org_Packages").write_text("index")
        (target / "dev" / "null-ish").write_text("")
        on_output("I: Base system installed successfully.")
        return self.exit_code


def _members(path: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return {m.name.removeprefix("./"): m for m in tar.getmembers()}


def _read(path: Path, member: str) -> str:
    with tarfile.open(path) as tar:
        handle = tar.extractfile(f"./{member}")
        assert handle is not None
        return handle.read().decode()


def test_rootfs_is_made_once_then_reused(tmp_path: Path) -> None:
    runner = FakeDebootstrap()
    lines: list[str] = []
    first = make_rootfs_tarball(BOOKWORM, cache=tmp_path, run=runner, on_output=lines.append)
    assert not first.reused and first.path == tmp_path / "rootfs" / "debian-bookworm.tar"
    assert runner.calls[0][:2] == ["debootstrap", "--variant=minbase"]
    assert runner.calls[0][2:5] == ["bookworm", runner.calls[0][3], "http://deb.debian.org/debian"]
    assert "I: Base system installed successfully." in lines
    members = _members(first.path)
    assert "bin/bash" in members
    for gone in (
        "etc/hostname",
        "etc/resolv.conf",
        "var/cache/apt/archives/bash_5.deb",
        "var/cache/apt/pkgcache.bin",
        "var/lib/apt/lists/deb.debian.org_Packages",
        "dev/null-ish",
    ):
        assert gone not in members, gone
    assert members["usr/sbin/policy-rc.d"].mode & 0o111
    assert _read(first.path, "etc/apt/sources.list") == (
        "deb http://deb.debian.org/debian bookworm main\n"
        "deb http://deb.debian.org/debian bookworm-updates main\n"
        "deb http://deb.debian.org/debian-security bookworm-security main\n"
    )
    assert "docker-clean" in "".join(members)
    assert [p.name for p in (tmp_path / "rootfs").iterdir()] == ["debian-bookworm.tar"]

    again = make_rootfs_tarball(BOOKWORM, cache=tmp_path, run=runner)
    assert again.reused and again.path == first.path
    assert len(runner.calls) == 2  # debootstrap and tar, once


def test_a_failed_debootstrap_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(BuildFailed) as caught:
        make_rootfs_tarball(BOOKWORM, cache=tmp_path, run=FakeDebootstrap(exit_code=1))
    assert caught.value.step == "debootstrap"
    assert "I: Base system installed successfully." in caught.value.log_tail
    assert list((tmp_path / "rootfs").iterdir()) == []


def test_another_mirror_gets_its_own_tarball(tmp_path: Path) -> None:
    mirror = "http://mirror.example/debian"
    path = tarball_path(BOOKWORM, mirror, tmp_path)
    assert path.name.startswith("debian-bookworm-") and path != tarball_path(
        BOOKWORM, "http://deb.debian.org/debian", tmp_path
    )
    assert apt_sources(BOOKWORM, mirror).splitlines()[2] == (
        "deb http://mirror.example/debian-security bookworm-security main"
    )


def test_ubuntu_needs_a_mirror_and_a_keyring(tmp_path: Path) -> None:
    noble = BASES["ubuntu:24.04"]
    with pytest.raises(UsageError, match="--mirror"):
        make_rootfs_tarball(noble, cache=tmp_path, run=FakeDebootstrap())
    keyring = tmp_path / "ubuntu.gpg"
    argv = debootstrap_argv(noble, tmp_path / "t", "http://ubuntu.example/ubuntu", keyring)
    assert "--components=main,universe" in argv and f"--keyring={keyring}" in argv
    assert argv[-1].endswith("/gutsy") or argv[-2] == "noble"
    assert apt_sources(noble, "http://ubuntu.example/ubuntu").splitlines() == [
        "deb http://ubuntu.example/ubuntu noble main universe",
        "deb http://ubuntu.example/ubuntu noble-updates main universe",
        "deb http://ubuntu.example/ubuntu noble-security main universe",
    ]


def test_dnf_bases_cannot_be_bootstrapped() -> None:
    with pytest.raises(UsageError, match="cannot be bootstrapped"):
        bootstrap_image(FakeRuntime(), "rocky:9")


def test_import_once_then_skip(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    runner = FakeDebootstrap()
    first = bootstrap_image(runtime, "debian:bookworm", cache=tmp_path, run=runner)
    assert first.imported and first.ref == "docker.io/library/debian:bookworm"
    assert runtime.inspect_image(first.ref).labels[BOOTSTRAPPED_LABEL] == "true"
    second = bootstrap_image(runtime, "debian:bookworm", cache=tmp_path, run=runner)
    assert not second.imported and second.note == "already bootstrapped"
    assert second.image_id == first.image_id and second.tarball_reused
    other_engine = FakeRuntime("podman")
    third = bootstrap_image(other_engine, "debian:bookworm", cache=tmp_path, run=runner)
    assert third.imported and third.tarball_reused
    assert len([c for c in runner.calls if c[0] == "debootstrap"]) == 1


def test_a_pulled_image_is_left_alone(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    pulled = runtime.add_image("docker.io/library/debian:bookworm")
    result = bootstrap_image(runtime, "debian:bookworm", cache=tmp_path, run=FakeDebootstrap())
    assert not result.imported and result.image_id == pulled.id
    assert "not bootstrapped" in result.note
