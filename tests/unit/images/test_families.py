"""Bases, logical package names and package-manager commands: the one place of differences."""

from __future__ import annotations

import pytest

from toolkit.errors import UsageError
from toolkit.images.families import (
    BASES,
    PACKAGES,
    Family,
    PackageManager,
    get_base,
    install_commands,
    resolve_packages,
    supported_families,
)


def test_every_base_is_fully_qualified_and_tagged_by_its_alias() -> None:
    for alias, base in BASES.items():
        registry = base.ref.split("/")[0]
        assert "." in registry, f"{alias}: {base.ref} must name its registry"
        assert ":" in base.ref.split("/")[-1], f"{alias}: {base.ref} must carry a tag"
        assert base.tag == alias.replace(":", "-")


def test_the_issue_aliases_and_families() -> None:
    assert set(BASES) == {
        "ubuntu:24.04",
        "ubuntu:22.04",
        "debian:bookworm",
        "debian:trixie",
        "ubi:9",
        "ubi-minimal:9",
        "rocky:9",
        "alma:9",
        "fedora:41",
        "centos-stream:9",
    }
    assert {a for a, b in BASES.items() if b.family is Family.APT} == {
        "ubuntu:24.04",
        "ubuntu:22.04",
        "debian:bookworm",
        "debian:trixie",
    }
    assert BASES["ubi-minimal:9"].package_manager is PackageManager.MICRODNF
    assert BASES["ubi:9"].ref == "registry.access.redhat.com/ubi9/ubi:latest"
    assert BASES["centos-stream:9"].ref == "quay.io/centos/centos:stream9"


def test_unknown_base_lists_the_valid_aliases() -> None:
    with pytest.raises(UsageError) as caught:
        get_base("arch:latest")
    assert "arch:latest" in str(caught.value)
    assert "debian:bookworm" in str(caught.value) and "rocky:9" in str(caught.value)


@pytest.mark.parametrize(
    ("logical", "apt", "dnf"),
    [
        ("iproute", "iproute2", "iproute"),
        ("ping", "iputils-ping", "iputils"),
        ("dns-tools", "bind9-dnsutils", "bind-utils"),
        ("procps", "procps", "procps-ng"),
        ("netcat", "netcat-openbsd", "nmap-ncat"),
        ("editor", "vim-tiny", "vim-minimal"),
    ],
)
def test_logical_names_per_family(logical: str, apt: str, dnf: str) -> None:
    assert resolve_packages([logical], BASES["debian:bookworm"]) == (apt,)
    assert resolve_packages([logical], BASES["ubuntu:24.04"]) == (apt,)
    assert resolve_packages([logical], BASES["rocky:9"]) == (dnf,)
    assert resolve_packages([logical], BASES["ubi-minimal:9"]) == (dnf,)


def test_packages_already_in_dnf_bases_are_not_asked_for() -> None:
    # curl-minimal (EL9) and curl (Fedora) conflict with each other; coreutils likewise.
    assert resolve_packages(["curl", "coreutils", "bash"], BASES["rocky:9"]) == ("bash",)
    assert resolve_packages(["curl"], BASES["ubi-minimal:9"]) == ("curl-minimal",)
    assert resolve_packages(["curl", "coreutils"], BASES["debian:bookworm"]) == ("curl", "coreutils")


def test_resolving_keeps_order_and_drops_duplicates() -> None:
    base = BASES["debian:bookworm"]
    assert resolve_packages(["ping", "bash", "ping"], base) == ("iputils-ping", "bash")


def test_unknown_logical_name_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_packages(["iputils-ping"], BASES["debian:bookworm"])
    assert "'iputils-ping'" in str(caught.value)
    assert "ping" in str(caught.value) and "families.py" in str(caught.value)


def test_every_logical_package_exists_in_both_families() -> None:
    assert supported_families(list(PACKAGES)) == (Family.APT, Family.DNF)


def test_apt_installs_without_recommends_and_drops_its_lists_in_one_command() -> None:
    commands = install_commands(["iproute2", "curl"], PackageManager.APT_GET)
    assert commands == (
        "apt-get update",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 curl",
        "apt-get clean",
        "rm -rf /var/lib/apt/lists/*",
    )


@pytest.mark.parametrize("manager", [PackageManager.DNF, PackageManager.MICRODNF])
def test_dnf_and_microdnf_skip_weak_deps_and_docs_and_clean(manager: PackageManager) -> None:
    commands = install_commands(["iproute"], manager)
    assert commands == (
        f"{manager.value} install -y --setopt=install_weak_deps=0 --setopt=tsflags=nodocs iproute",
        f"{manager.value} clean all",
    )


def test_nothing_to_install_is_a_no_op() -> None:
    assert install_commands([], PackageManager.DNF) == ("true",)
