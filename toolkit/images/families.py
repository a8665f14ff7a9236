"""Base images, their families, and every difference between the families: the one place.

A course image names packages by logical name (`ping`, `dns-tools`, `netcat`, ...). This module
says what each logical name is called in the apt family (Debian, Ubuntu) and in the dnf family
(UBI, Rocky, Alma, Fedora, CentOS Stream), and how each package manager installs and cleans up
in a single layer. Nothing else in labkit knows a distribution's package names or commands.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from toolkit.errors import UsageError


class Family(StrEnum):
    """A family of distributions that share package names."""

    APT = "apt"
    DNF = "dnf"


class PackageManager(StrEnum):
    """The command that installs packages in a base image."""

    APT_GET = "apt-get"
    DNF = "dnf"
    MICRODNF = "microdnf"

    @property
    def family(self) -> Family:
        return Family.APT if self is PackageManager.APT_GET else Family.DNF


@dataclass(frozen=True)
class Base:
    """A base image a course is built on.

    `alias` is what users type (`debian:bookworm`), `ref` the fully qualified reference (Podman
    resolves short names through registries, Docker does not: full names behave the same on
    both), `tag` the tag suffix of course images built on it (`labkit/base:debian-bookworm`).
    `release` is the debootstrap suite for bases labkit can bootstrap offline.
    """

    alias: str
    ref: str
    package_manager: PackageManager
    tag: str
    distribution: str
    release: str = ""

    @property
    def family(self) -> Family:
        return self.package_manager.family

    @property
    def bootstrappable(self) -> bool:
        return bool(self.release)


def _base(alias: str, ref: str, manager: PackageManager, distribution: str, release: str = "") -> Base:
    return Base(alias, ref, manager, alias.replace(":", "-"), distribution, release)


_APT, _DNF, _MICRODNF = PackageManager.APT_GET, PackageManager.DNF, PackageManager.MICRODNF

BASES: Mapping[str, Base] = {
    base.alias: base
    for base in (
        _base("debian:bookworm", "docker.io/library/debian:bookworm", _APT, "debian", "bookworm"),
        _base("debian:trixie", "docker.io/library/debian:trixie", _APT, "debian", "trixie"),
        _base("ubuntu:24.04", "docker.io/library/ubuntu:24.04", _APT, "ubuntu", "noble"),
        _base("ubuntu:22.04", "docker.io/library/ubuntu:22.04", _APT, "ubuntu", "jammy"),
        # Red Hat publishes no `:9` tag: the repository name carries the major release.
        _base("ubi:9", "registry.access.redhat.com/ubi9/ubi:latest", _DNF, "ubi"),
        _base("ubi-minimal:9", "registry.access.redhat.com/ubi9/ubi-minimal:latest", _MICRODNF, "ubi"),
        _base("rocky:9", "docker.io/rockylinux/rockylinux:9", _DNF, "rocky"),
        _base("alma:9", "docker.io/library/almalinux:9", _DNF, "alma"),
        _base("fedora:41", "registry.fedoraproject.org/fedora:41", _DNF, "fedora"),
        _base("centos-stream:9", "quay.io/centos/centos:stream9", _DNF, "centos"),
    )
}

DEFAULT_BASE = "debian:bookworm"


def get_base(alias: str) -> Base:
    """The base of that alias; raises UsageError listing the valid aliases."""
    try:
        return BASES[alias]
    except KeyError:
        raise UsageError(f"unknown base {alias!r}: choose one of {', '.join(BASES)}") from None


@dataclass(frozen=True)
class PackageNames:
    """What a logical package is called per family.

    An empty tuple means "already in every base of the family: install nothing" (asking for it
    anyway can conflict, see curl below). None means the family has no such package.
    `per_base` overrides the family's names for one base alias.
    """

    apt: tuple[str, ...] | None
    dnf: tuple[str, ...] | None
    per_base: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def for_base(self, base: Base) -> tuple[str, ...] | None:
        if base.alias in self.per_base:
            return self.per_base[base.alias]
        return self.apt if base.family is Family.APT else self.dnf


def _same(name: str) -> PackageNames:
    return PackageNames((name,), (name,))


def _pair(apt: str, dnf: str) -> PackageNames:
    return PackageNames((apt,), (dnf,))


PACKAGES: Mapping[str, PackageNames] = {
    "bash": _same("bash"),
    # Every dnf base has coreutils or coreutils-single (ubi-minimal); each conflicts with the other.
    "coreutils": PackageNames(("coreutils",), ()),
    "procps": _pair("procps", "procps-ng"),
    "less": _same("less"),
    "editor": _pair("vim-tiny", "vim-minimal"),
    "sudo": _same("sudo"),
    "hostname": _same("hostname"),
    "useradd": _pair("passwd", "shadow-utils"),
    "iproute": _pair("iproute2", "iproute"),
    "ping": _pair("iputils-ping", "iputils"),
    "net-tools": _same("net-tools"),
    # dig, nslookup, host. Debian's `dnsutils` is a transitional package for bind9-dnsutils.
    "dns-tools": _pair("bind9-dnsutils", "bind-utils"),
    # EL9 images ship curl-minimal and Fedora's ship curl; asking for the other conflicts.
    # ubi-minimal ships neither.
    "curl": PackageNames(("curl",), (), per_base={"ubi-minimal:9": ("curl-minimal",)}),
    "ca-certificates": _same("ca-certificates"),
    "traceroute": _same("traceroute"),
    "tcpdump": _same("tcpdump"),
    "netcat": _pair("netcat-openbsd", "nmap-ncat"),
    "nftables": _same("nftables"),
    "iptables": _pair("iptables", "iptables-nft"),
    "dnsmasq": _same("dnsmasq"),
    "nginx": _same("nginx"),
    "python3": _same("python3"),
}


def resolve_packages(logical: Sequence[str], base: Base) -> tuple[str, ...]:
    """The base's package names for logical names, in order, without duplicates.

    Raises UsageError for a name that is not logical or that the base's family lacks.
    """
    names: list[str] = []
    for name in logical:
        entry = PACKAGES.get(name)
        if entry is None:
            raise UsageError(
                f"unknown package {name!r}: use a logical name ({', '.join(sorted(PACKAGES))}) "
                "or add it to toolkit/images/families.py"
            )
        resolved = entry.for_base(base)
        if resolved is None:
            raise UsageError(f"package {name!r} has no {base.family.value} name ({base.alias})")
        names.extend(n for n in resolved if n not in names)
    return tuple(names)


def supported_families(logical: Sequence[str]) -> tuple[Family, ...]:
    """The families in which every one of these logical packages exists."""
    return tuple(
        family
        for family in Family
        if all(
            name in PACKAGES
            and (PACKAGES[name].apt if family is Family.APT else PACKAGES[name].dnf) is not None
            for name in logical
        )
    )


def install_commands(packages: Sequence[str], manager: PackageManager) -> tuple[str, ...]:
    """Shell commands, to be joined with `&&`, that install packages and remove the caches.

    Install and clean-up share one layer, so the caches never reach the image. No packages:
    a single no-op command.
    """
    if not packages:
        return ("true",)
    names = " ".join(shlex.quote(p) for p in packages)
    if manager is PackageManager.APT_GET:
        return (
            "apt-get update",
            f"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {names}",
            "apt-get clean",
            "rm -rf /var/lib/apt/lists/*",
        )
    return (
        f"{manager.value} install -y --setopt=install_weak_deps=0 --setopt=tsflags=nodocs {names}",
        f"{manager.value} clean all",
    )
