"""Offline base images: debootstrap a Debian (or Ubuntu) release and import it into an engine.

No registry is needed, only a Debian archive mirror. The root filesystem is made once, packed
into a tarball in labkit's cache folder and reused by later runs and by every engine:

    ~/.cache/labkit/rootfs/debian-bookworm.tar      ($LABKIT_CACHE overrides ~/.cache/labkit)

The imported image takes the reference of the official one (`docker.io/library/debian:bookworm`)
so course Containerfiles do not care where it came from, and carries the label
`io.labkit.bootstrapped=true` so labkit can tell it from a pulled one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from toolkit.errors import BuildFailed, UsageError
from toolkit.images.families import Base, get_base
from toolkit.runtime.protocol import Runtime

BOOTSTRAPPED_LABEL = "io.labkit.bootstrapped"
DEFAULT_MIRRORS = {"debian": "http://deb.debian.org/debian"}
UBUNTU_KEYRING = Path("/usr/share/keyrings/ubuntu-archive-keyring.gpg")
DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")
IMAGE_CHANGES = (
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    'CMD ["bash"]',
)

OutputCallback = Callable[[str], None]
# Runs argv, feeding each output line to the callback; returns the exit code.
CommandRunner = Callable[[Sequence[str], OutputCallback], int]


@dataclass(frozen=True)
class RootfsTarball:
    path: Path
    reused: bool  # True: an earlier run made it
    seconds: float


@dataclass(frozen=True)
class BootstrapResult:
    alias: str
    ref: str
    tarball: Path
    tarball_reused: bool
    imported: bool  # False: the image was there already and was left as is
    image_id: str
    seconds: float
    note: str


def cache_dir() -> Path:
    """$LABKIT_CACHE, else $XDG_CACHE_HOME/labkit, else ~/.cache/labkit."""
    if os.environ.get("LABKIT_CACHE"):
        return Path(os.environ["LABKIT_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "labkit"


def bootstrappable_base(alias: str) -> Base:
    """The base of `alias`, if debootstrap can make it; raises UsageError otherwise."""
    base = get_base(alias)
    if not base.bootstrappable:
        raise UsageError(
            f"{alias} cannot be bootstrapped (only Debian and Ubuntu releases can): "
            f"pull {base.ref} on a machine that reaches its registry and 'labkit images load' it"
        )
    return base


def resolve_mirror(base: Base, mirror: str | None) -> str:
    if mirror:
        return mirror.rstrip("/")
    if base.distribution in DEFAULT_MIRRORS:
        return DEFAULT_MIRRORS[base.distribution]
    raise UsageError(
        f"{base.alias} needs --mirror URL: an {base.distribution} archive mirror this host reaches"
    )


def apt_sources(base: Base, mirror: str) -> str:
    """sources.list for the release, its updates and its security fixes."""
    release = base.release
    if base.distribution == "ubuntu":
        # Ubuntu mirrors carry the -security pocket in the same archive.
        components = "main universe"
        return "".join(
            f"deb {mirror} {suite} {components}\n"
            for suite in (release, f"{release}-updates", f"{release}-security")
        )
    security = f"{mirror}-security" if mirror.endswith("/debian") else "http://deb.debian.org/debian-security"
    return (
        f"deb {mirror} {release} main\n"
        f"deb {mirror} {release}-updates main\n"
        f"deb {security} {release}-security main\n"
    )


def tarball_path(base: Base, mirror: str, cache: Path) -> Path:
    """Where the rootfs of this base from this mirror is cached."""
    name = f"{base.distribution}-{base.release}"
    if mirror != DEFAULT_MIRRORS.get(base.distribution):
        name += "-" + hashlib.sha256(mirror.encode()).hexdigest()[:8]
    return cache / "rootfs" / f"{name}.tar"


def run_command(argv: Sequence[str], on_output: OutputCallback) -> int:
    """Run argv, passing each line of its merged output on; return its exit code."""
    with subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            on_output(line.rstrip("\n"))
    return process.returncode


def debootstrap_argv(base: Base, target: Path, mirror: str, keyring: Path | None) -> list[str]:
    argv = ["debootstrap", "--variant=minbase"]
    if base.distribution == "ubuntu":
        argv.append("--components=main,universe")
        keyring = keyring or (UBUNTU_KEYRING if UBUNTU_KEYRING.exists() else None)
        if keyring is None:
            raise UsageError(
                f"no Ubuntu archive keyring at {UBUNTU_KEYRING}: pass --keyring FILE "
                "(Ubuntu's ubuntu-archive-keyring.gpg)"
            )
    if keyring is not None:
        argv.append(f"--keyring={keyring}")
    argv += [base.release, str(target), mirror]
    if not (DEBOOTSTRAP_SCRIPTS / base.release).exists():
        # An older debootstrap lacks the newest releases' scripts; every Ubuntu release uses
        # the same one (gutsy), every Debian release sid's.
        fallback = "gutsy" if base.distribution == "ubuntu" else "sid"
        argv.append(str(DEBOOTSTRAP_SCRIPTS / fallback))
    return argv


def make_rootfs_tarball(
    base: Base,
    *,
    mirror: str | None = None,
    cache: Path | None = None,
    keyring: Path | None = None,
    on_output: OutputCallback | None = None,
    run: CommandRunner = run_command,
) -> RootfsTarball:
    """debootstrap --variant=minbase the base's release into a cached tarball, once.

    A second call finds the tarball and returns at once. Raises UsageError when debootstrap
    is missing or needs root, BuildFailed (step "debootstrap" or "tar") when a step fails.
    """
    started = time.monotonic()
    mirror = resolve_mirror(base, mirror)
    path = tarball_path(base, mirror, cache or cache_dir())
    if path.is_file():
        return RootfsTarball(path, True, time.monotonic() - started)
    if run is run_command:
        if shutil.which("debootstrap") is None:
            raise UsageError("debootstrap is missing: install it (scripts/provision-engines does)")
        if os.geteuid() != 0:
            raise UsageError("debootstrap needs root: run 'labkit images bootstrap' as root")
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.parent / f".{path.stem}.{os.getpid()}.rootfs"
    partial = path.with_suffix(f".{os.getpid()}.partial")
    tail: deque[str] = deque(maxlen=20)

    def output(line: str) -> None:
        tail.append(line)
        if on_output:
            on_output(line)

    try:
        shutil.rmtree(target, ignore_errors=True)
        argv = debootstrap_argv(base, target, mirror, keyring)
        if run(argv, output) != 0:
            raise BuildFailed(
                f"debootstrap of {base.alias} from {mirror} failed",
                step="debootstrap",
                log_tail=tuple(tail),
            )
        prepare_rootfs(target, base, mirror)
        tar = ["tar", "--numeric-owner", "-C", str(target), "--exclude=./dev/*", "-cf", str(partial), "."]
        if run(tar, output) != 0:
            raise BuildFailed(f"packing {target} failed", step="tar", log_tail=tuple(tail))
        partial.replace(path)  # atomic: a tarball in the cache is always complete
    finally:
        shutil.rmtree(target, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return RootfsTarball(path, False, time.monotonic() - started)


def prepare_rootfs(root: Path, base: Base, mirror: str) -> None:
    """Make a fresh debootstrap tree a container base, as the official images are made."""
    apt = root / "etc" / "apt"
    apt.mkdir(parents=True, exist_ok=True)
    (apt / "sources.list").write_text(apt_sources(base, mirror))
    conf = apt / "apt.conf.d"
    conf.mkdir(exist_ok=True)
    # Downloaded packages never stay in an image layer (the official images do the same).
    (conf / "docker-clean").write_text(
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
    )
    # No init system runs during a build: package scripts must not try to start services.
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("#!/bin/sh\n# Written by labkit: no service starts while building.\nexit 101\n")
    policy.chmod(0o755)
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*"):
        for leftover in root.glob(pattern):
            if leftover.is_file() or leftover.is_symlink():
                leftover.unlink()
    # The engine provides these per container; the host's copies must not leak into the image.
    for name in ("etc/hostname", "etc/resolv.conf"):
        (root / name).unlink(missing_ok=True)


def bootstrap_image(
    runtime: Runtime,
    alias: str,
    *,
    mirror: str | None = None,
    cache: Path | None = None,
    keyring: Path | None = None,
    force: bool = False,
    on_output: OutputCallback | None = None,
    run: CommandRunner = run_command,
) -> BootstrapResult:
    """Make the base image `alias` in this engine from a debootstrapped rootfs.

    Reuses the cached tarball; skips the import when the image exists with the bootstrapped
    label, and leaves a pulled (unlabelled) image alone unless `force`.
    """
    started = time.monotonic()
    base = bootstrappable_base(alias)
    resolved_mirror = resolve_mirror(base, mirror)
    if not force and runtime.image_exists(base.ref):
        existing = runtime.inspect_image(base.ref)
        bootstrapped = existing.labels.get(BOOTSTRAPPED_LABEL) == "true"
        cached = tarball_path(base, resolved_mirror, cache or cache_dir())
        note = "already bootstrapped" if bootstrapped else "present (not bootstrapped): left as is"
        return BootstrapResult(
            alias, base.ref, cached, cached.is_file(), False, existing.id, time.monotonic() - started, note
        )
    tarball = make_rootfs_tarball(
        base, mirror=resolved_mirror, cache=cache, keyring=keyring, on_output=on_output, run=run
    )
    labels = {
        BOOTSTRAPPED_LABEL: "true",
        "io.labkit.bootstrap.mirror": resolved_mirror,
        "org.opencontainers.image.title": alias,
        "org.opencontainers.image.created": datetime.now(UTC).isoformat(timespec="seconds"),
        "org.opencontainers.image.description": f"{alias} made locally by debootstrap (minbase)",
    }
    info = runtime.import_rootfs(tarball.path, base.ref, changes=IMAGE_CHANGES, labels=labels)
    return BootstrapResult(
        alias, base.ref, tarball.path, tarball.reused, True, info.id, time.monotonic() - started, "imported"
    )
