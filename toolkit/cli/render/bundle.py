"""Output of `labkit course pack` and `labkit course unpack`."""

from __future__ import annotations

from toolkit.bundle import PackResult, UnpackResult
from toolkit.cli.render import console, note
from toolkit.images import BuildEvent


def build_event(event: BuildEvent) -> None:
    """Say which images had to be built before packing (a build takes minutes)."""
    if event.kind in ("started", "built", "failed"):
        note(f"{event.kind}: {event.tag} {event.message}".rstrip())


def packed(result: PackResult) -> None:
    manifest = result.manifest
    copy = "instructor's copy, with solutions" if manifest.solutions else "student's copy, no solutions"
    console.print(
        f"packed {len(manifest.exercises)} exercises and {len(manifest.images)} images "
        f"({manifest.base}, {manifest.architecture}) into {result.path}: "
        f"{result.size / 1e6:.0f} MB in {result.seconds:.1f} s, {copy}",
        markup=False,
    )


def unpacked(result: UnpackResult) -> None:
    manifest = result.manifest
    first = manifest.exercises[0] if manifest.exercises else "EXERCISE"
    console.print(
        f"checked {len(manifest.members) + 1} members in {result.verify_seconds:.1f} s; loaded "
        f"{len(result.images)} images into {result.engine} in {result.load_seconds:.1f} s",
        markup=False,
    )
    console.print(
        f"exercises in {result.destination / 'compose'}: {', '.join(manifest.exercises)}", markup=False
    )
    console.print(
        f"start one from {result.destination} (or with LABKIT_COURSE={result.destination}), "
        f"e.g. labkit up {first}",
        markup=False,
    )
