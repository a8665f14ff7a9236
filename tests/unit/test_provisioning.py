"""Every host command the tests need comes from a package scripts/provision-engines installs.

A fresh CI machine has only what provisioning gives it: a command installed here by hand would
let the suite pass here and skip (or fail) there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.inner import REPO
from tests.outcomes import cannot_run

PROVISION = REPO / "scripts" / "provision-engines"
# command -> what needs it
NEEDED = {
    "ip": "the fault tests' private dockerd bridge",
    "iptables": "the Podman parity test of host rules",
    "busybox": "the engine tests' tiny image",
    "debootstrap": "offline Debian bases",
    "dockerd": "Docker",
    "podman": "Podman",
    "runc": "Podman's runtime on hybrid cgroups",
    "curl": "provisioning's own readiness probes",
}


def provisioned_packages() -> set[str]:
    match = re.search(r"^PACKAGES=\(([^)]*)\)", PROVISION.read_text(), re.MULTILINE)
    assert match, f"no PACKAGES=(...) line in {PROVISION}"
    return set(match.group(1).split())


def owning_package(command: str) -> str:
    """The Debian package that ships `command` (dpkg knows /bin and /usr/bin apart)."""
    found = shutil.which(command, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        cannot_run(f"{command} is not installed: run scripts/provision-engines")
    for path in dict.fromkeys([found, os.path.realpath(found), found.replace("/usr/", "/", 1)]):
        result = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return result.stdout.split(":", 1)[0].split(",")[0].strip()
    pytest.fail(f"{command} ({found}) belongs to no Debian package: provisioning cannot install it")


def test_provisioning_names_iproute2() -> None:
    assert "iproute2" in provisioned_packages()


@pytest.mark.skipif(
    shutil.which("dpkg") is None, reason="not a Debian-like host: provisioning refuses it too"
)
@pytest.mark.parametrize("command", sorted(NEEDED))
def test_each_needed_command_comes_from_a_provisioned_package(command: str) -> None:
    package = owning_package(command)
    assert package in provisioned_packages(), (
        f"{command} ({NEEDED[command]}) comes from {package}: add it to PACKAGES"
    )
