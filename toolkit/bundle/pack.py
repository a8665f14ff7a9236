"""Pack the course into one bundle: images (built first if needed), exercises, manifest.

The archive is a plain tar (images compress poorly and a lab machine has two cores): the
manifest first, then the engine's image archive, then the course's files under course/. It is
written next to its final name and renamed at the end, so a failed pack leaves nothing.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from toolkit.bundle.manifest import (
    COURSE_PREFIX,
    IMAGES_MEMBER,
    MANIFEST_NAME,
    BundledImage,
    Manifest,
    Member,
    host_architecture,
)
from toolkit.bundle.solutions import strip_solution
from toolkit.course import exercise_names, find_compose_file
from toolkit.errors import ToolkitError, UsageError
from toolkit.images import EventCallback, ensure_images, get_base, load_catalog, save_course_images
from toolkit.images.fingerprint import labkit_version
from toolkit.runtime.protocol import Runtime
from toolkit.stack.compose.loader import load_stack


@dataclass(frozen=True)
class PackResult:
    path: Path
    manifest: Manifest
    size: int  # bytes
    seconds: float


def check_output(output: Path) -> None:
    """Refuse an output the bundle cannot be written to, before any engine is asked."""
    if output.is_dir():
        raise UsageError(f"{output} is a folder: give the bundle's file name, e.g. {output / 'course.tar'}")
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: folder {output.parent} does not exist")


def pack_course(
    runtime: Runtime,
    course: Path,
    output: Path,
    *,
    base: str = "debian:bookworm",
    with_solutions: bool = False,
    on_event: EventCallback | None = None,
) -> PackResult:
    """Build what is missing, then write the course's images and exercises to `output`.

    Raises:
        UsageError: no exercise in the course, a Compose file that does not load.
        BuildFailed: a course image does not build.
    """
    started = time.monotonic()
    check_output(output)
    chosen = get_base(base)
    catalog = load_catalog(course / "images")
    exercises = _exercise_folders(course / "compose")
    with tempfile.TemporaryDirectory(prefix=".labkit-pack-", dir=output.parent) as scratch:
        staging = Path(scratch)
        course_files = _stage_course(course, exercises, staging / "course", with_solutions)
        ensure_images(runtime, catalog.names, chosen, on_event, images_dir=course / "images")
        refs = save_course_images(runtime, catalog, staging / IMAGES_MEMBER, None, chosen)
        members = {IMAGES_MEMBER: _digest(staging / IMAGES_MEMBER)}
        members |= {f"{COURSE_PREFIX}{name}": _digest(staging / "course" / name) for name in course_files}
        manifest = Manifest(
            labkit=labkit_version(),
            architecture=host_architecture(),
            base=chosen.alias,
            engine=runtime.name,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            solutions=with_solutions,
            exercises=tuple(folder.name for folder in exercises),
            images=tuple(BundledImage(ref, runtime.inspect_image(ref).id) for ref in refs),
            members=members,
        )
        partial = staging / "bundle.tar"
        write_bundle(partial, manifest, staging)
        partial.replace(output)
    return PackResult(output, manifest, output.stat().st_size, time.monotonic() - started)


def _exercise_folders(compose_root: Path) -> list[Path]:
    exercises = [compose_root / name for name in exercise_names(compose_root)]
    if not exercises:
        raise UsageError(f"no exercise under {compose_root}: nothing to pack")
    return exercises


def _stage_course(course: Path, exercises: list[Path], staging: Path, with_solutions: bool) -> list[str]:
    """Copy images/ and every exercise into staging (solutions cut unless asked for); return
    the staged files, relative to staging."""
    shutil.copytree(course / "images", staging / "images", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in exercises:
        target = staging / "compose" / folder.name
        shutil.copytree(folder, target, ignore=shutil.ignore_patterns("__pycache__"))
        if not with_solutions:
            _cut_solution(find_compose_file(str(target), target.parent))
    return sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())


def _cut_solution(compose_file: Path) -> None:
    """Cut the solution from the staged copy and prove the rest of the exercise is unchanged."""
    before = load_stack(compose_file)
    compose_file.write_text(strip_solution(compose_file.read_text()))
    after = load_stack(compose_file)
    if (
        after.exercise.solution
        or after.exercise.checks != before.exercise.checks
        or after.services != before.services
    ):
        raise ToolkitError(f"{compose_file}: could not take the solution out cleanly: pack --with-solutions")


def _digest(path: Path) -> Member:
    with path.open("rb") as handle:
        return Member(hashlib.file_digest(handle, "sha256").hexdigest(), path.stat().st_size)


def write_bundle(path: Path, manifest: Manifest, staging: Path) -> None:
    """Write the tar: the manifest, then each member it lists, read from `staging/<member>`."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        data = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        tar.addfile(info, io.BytesIO(data))
        for name in _member_order(manifest):
            source = staging / (
                "course/" + name.removeprefix(COURSE_PREFIX) if name != IMAGES_MEMBER else name
            )
            tar.add(str(source), arcname=name, recursive=False)


def _member_order(manifest: Manifest) -> Iterator[str]:
    yield IMAGES_MEMBER
    yield from sorted(name for name in manifest.members if name != IMAGES_MEMBER)
