"""Every apt package name labkit uses exists in Debian's real package index (this host's)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from toolkit.images.families import BASES, PACKAGES, Family

APT_NAMES = sorted(
    {name for entry in PACKAGES.values() for name in (entry.apt or ())}
    | {
        name
        for entry in PACKAGES.values()
        for alias, names in entry.per_base.items()
        if BASES[alias].family is Family.APT and BASES[alias].distribution == "debian"
        for name in names
    }
)
UBUNTU_ONLY = sorted(
    {
        name
        for entry in PACKAGES.values()
        for alias, names in entry.per_base.items()
        if BASES[alias].distribution == "ubuntu"
        for name in names
    }
)


def _host_is_debian() -> bool:
    try:
        with open("/etc/os-release", encoding="utf-8") as handle:
            return "ID=debian" in handle.read().splitlines()
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    shutil.which("apt-cache") is None or not _host_is_debian(),
    reason="needs a Debian host with apt-cache to ask Debian's package index",
)


@pytest.fixture(scope="module")
def debian_index() -> dict[str, str]:
    """Package name -> its record, for every name, from one apt-cache call (each call
    re-reads the whole index: seconds)."""
    result = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", *APT_NAMES], capture_output=True, text=True
    )
    records: dict[str, str] = {}
    for record in result.stdout.split("\n\n"):
        for line in record.splitlines():
            if line.startswith("Package: "):
                records[line.removeprefix("Package: ").strip()] = record
    if not records:
        pytest.fail(f"apt-cache knows no package at all: run 'apt-get update' ({result.stderr})")
    return records


@pytest.mark.parametrize("name", APT_NAMES)
def test_apt_name_resolves_in_debian(debian_index: dict[str, str], name: str) -> None:
    assert name in debian_index, f"{name} is not in Debian's package index"
    # A purely virtual name would install nothing by itself.
    assert "Version: " in debian_index[name]


if UBUNTU_ONLY:  # none today: every apt name is shared by Debian and Ubuntu

    @pytest.mark.parametrize("name", UBUNTU_ONLY)
    def test_ubuntu_only_name(name: str) -> None:
        pytest.skip(f"{name}: Ubuntu-only, and no Ubuntu package index is reachable from here")
