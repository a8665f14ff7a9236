"""Check a bundle member by member, then load its images and put its course in place.

`verify_bundle` reads the whole archive once into a staging folder beside the destination,
hashing each member as it goes, and refuses (in one line, leaving nothing) a bundle that is not
a tar, is cut short, has a member whose checksum or size differs from the manifest, a member
the manifest does not list or one it lists but that is missing, a path that would leave the
staging folder, a newer format or another architecture. Nothing touches an engine before it
returns. `install_bundle` then loads the images, checks their ids, and moves compose/ and
images/ into the destination, where `labkit up` finds them.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from toolkit.bundle.manifest import COURSE_PREFIX, IMAGES_MEMBER, MANIFEST_NAME, Manifest, host_architecture
from toolkit.errors import EngineError, UsageError
from toolkit.runtime.protocol import Runtime

COURSE_FOLDERS = ("compose", "images")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose every member matched its manifest, staged in `staging`."""

    source: Path
    manifest: Manifest
    staging: Path
    seconds: float

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


@dataclass(frozen=True)
class UnpackResult:
    destination: Path
    manifest: Manifest
    engine: str
    images: tuple[str, ...]
    verify_seconds: float
    load_seconds: float


def check_destination(destination: Path) -> None:
    """Refuse a destination that already holds a course: unpacking never overwrites one."""
    if destination.exists() and not destination.is_dir():
        raise UsageError(f"{destination} is a file: give a folder to unpack the course into")
    taken = [name for name in COURSE_FOLDERS if (destination / name).exists()]
    if taken:
        raise UsageError(
            f"{destination} already holds a course ({', '.join(f'{name}/' for name in taken)}): unpack "
            "into another folder with --into DIR, or move those away"
        )


def verify_bundle(source: Path, destination: Path) -> VerifiedBundle:
    """Stage and check every member; raise UsageError naming the bundle and the fault."""
    started = time.monotonic()
    if not source.is_file():
        raise UsageError(f"no bundle at {source}")
    check_destination(destination)
    created = not destination.exists()
    destination.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".labkit-unpack-", dir=destination))
    try:
        manifest = _stage(source, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(destination, ignore_errors=True)
        raise
    return VerifiedBundle(source, manifest, staging, time.monotonic() - started)


def _stage(source: Path, staging: Path) -> Manifest:
    name = source.name
    try:
        with tarfile.open(source, "r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise UsageError(f"{name} is not a labkit bundle (no manifest first): pack it again")
            manifest = Manifest.from_json(_read(tar, first), name)
            if manifest.architecture != host_architecture():
                raise UsageError(
                    f"{name} holds {manifest.architecture} images and this machine is "
                    f"{host_architecture()}: pack the course on a {host_architecture()} machine"
                )
            seen = {
                member.name: _stage_member(tar, member, manifest, staging, name)
                for member in tar
                if member.offset != first.offset  # the manifest, read already
            }
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UsageError(f"{name} is damaged or cut short ({exc}): copy it again") from None
    missing = sorted(set(manifest.members) - set(seen))
    if missing:
        raise UsageError(f"{name} lacks {missing[0]} (and {len(missing) - 1} more) that its manifest lists")
    return manifest


def _stage_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, manifest: Manifest, staging: Path, name: str
) -> str:
    expected = manifest.members.get(member.name)
    path = PurePosixPath(member.name)
    if expected is None or not member.isfile() or path.is_absolute() or ".." in path.parts:
        raise UsageError(
            f"{name} holds {member.name!r}, which its manifest does not list: it was tampered with"
        )
    target = staging / path
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tar.extractfile(member)
    assert handle is not None  # a regular file always has one
    with target.open("wb") as out:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
            size += len(block)
            out.write(block)
    if size != expected.size or digest.hexdigest() != expected.sha256:
        raise UsageError(
            f"{name}: {member.name} does not match its checksum in the manifest: the bundle is corrupted "
            "or was changed; copy it again"
        )
    return member.name


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle: IO[bytes] | None = tar.extractfile(member)
    return handle.read() if handle is not None else b""


def install_bundle(runtime: Runtime, bundle: VerifiedBundle, destination: Path) -> UnpackResult:
    """Load the images into `runtime`, check their ids, then move the course into place.

    The staging folder is removed whatever happens.

    Raises:
        EngineError: the engine did not load the images, or loaded others than the manifest names.
    """
    started = time.monotonic()
    try:
        runtime.load_images(bundle.staging / IMAGES_MEMBER)
        for image in bundle.manifest.images:
            found = runtime.inspect_image(image.ref).id
            if _bare(found) != _bare(image.id):
                raise EngineError(
                    f"{runtime.name} loaded {image.ref} as {found}, but the bundle says {image.id}: "
                    "the bundle's images were not loaded as packed"
                )
        staged_course = bundle.staging / COURSE_PREFIX.rstrip("/")
        for folder in COURSE_FOLDERS:
            (staged_course / folder).replace(destination / folder)
    finally:
        bundle.discard()
    return UnpackResult(
        destination,
        bundle.manifest,
        runtime.name,
        tuple(image.ref for image in bundle.manifest.images),
        bundle.seconds,
        time.monotonic() - started,
    )


def _bare(image_id: str) -> str:
    return image_id.removeprefix("sha256:")
