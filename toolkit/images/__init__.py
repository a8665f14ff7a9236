"""Course images: one definition per image, built on apt- or dnf-family bases, on either engine.

The course keeps its images under `images/NAME/Containerfile` (containerfile.py explains the
two conventions). This package finds them (catalog.py), renders each for a base (rendering.py,
with every family difference in families.py), orders builds by their FROM lines (graph.py),
skips builds whose inputs did not change (fingerprint.py, builder.py), makes Debian bases
offline (bootstrap.py) and moves images without a registry (archive.py).

The API other layers call:

    ensure_images(runtime, ["web", "db"], "debian:bookworm")  -> {"web": "labkit/web:debian-bookworm", ...}
    image_tag("netlab", "rocky:9")                            -> "labkit/netlab:rocky-9"
    load_catalog()                                            -> Catalog (the course's images)
    list_course_images(runtime, load_catalog())               -> tags on this engine, up to date or not
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolkit.errors import BuildFailed
from toolkit.images.archive import load_course_images, save_course_images
from toolkit.images.bootstrap import BootstrapResult, bootstrap_image
from toolkit.images.builder import (
    BuildEvent,
    BuildReport,
    CourseBuilder,
    EventCallback,
    ImageBuild,
)
from toolkit.images.catalog import Catalog, CourseImage, default_images_dir, load_catalog
from toolkit.images.families import BASES, DEFAULT_BASE, Base, Family, get_base
from toolkit.images.rendering import DEFAULT_NAMESPACE, image_tag, render_containerfile
from toolkit.images.status import CourseImageStatus, LocalTag, describe, list_course_images
from toolkit.runtime.protocol import Runtime

__all__ = [
    "BASES",
    "DEFAULT_BASE",
    "DEFAULT_NAMESPACE",
    "Base",
    "BootstrapResult",
    "BuildEvent",
    "BuildReport",
    "Catalog",
    "CourseBuilder",
    "CourseImage",
    "CourseImageStatus",
    "EventCallback",
    "Family",
    "ImageBuild",
    "LocalTag",
    "bootstrap_image",
    "build_images",
    "default_images_dir",
    "describe",
    "ensure_images",
    "get_base",
    "image_tag",
    "list_course_images",
    "load_catalog",
    "load_course_images",
    "render_containerfile",
    "save_course_images",
]


def build_images(
    runtime: Runtime,
    names: Iterable[str] | None = None,
    base_alias: str | Base = DEFAULT_BASE,
    *,
    catalog: Catalog | None = None,
    force: bool = False,
    namespace: str = DEFAULT_NAMESPACE,
    on_event: EventCallback | None = None,
    workers: int = 2,
) -> BuildReport:
    """Build course images (default: all) and the images they are built FROM, for one base.

    Failures are in the report. Raises UsageError (unknown name or base, bad Containerfile)
    and ImageNotFound (the base image is missing) before any build starts.
    """
    builder = CourseBuilder(
        runtime,
        catalog or load_catalog(),
        base_alias,
        namespace=namespace,
        force=force,
        on_event=on_event,
        workers=workers,
    )
    return builder.build(names)


def ensure_images(
    runtime: Runtime,
    names: Iterable[str],
    base_alias: str | Base = DEFAULT_BASE,
    on_event: EventCallback | None = None,
    *,
    images_dir: Path | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> dict[str, str]:
    """Make sure the course images `names` exist and are current for `base_alias`.

    Builds only what is missing or stale (and the images those are built FROM); returns
    course image name -> tag for every name asked for. Raises BuildFailed (with the failing
    step and the last output lines) when one of them cannot be built, UsageError for an
    unknown image or base, ImageNotFound when the base image is missing.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    catalog = load_catalog(images_dir)
    report = build_images(
        runtime, wanted, base_alias, catalog=catalog, namespace=namespace, on_event=on_event
    )
    if report.failed:
        first = report.failed[0]
        raise BuildFailed(
            f"course image {first.name} ({first.tag}) failed to build: {first.reason}",
            step=first.step,
            log_tail=first.log_tail,
        )
    return {name: report.get(name).tag for name in wanted}
