"""Save course images to one tar and load them elsewhere: a classroom without a registry.

The archive is the engines' own docker-archive format, so `docker load` and `podman load`
read it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from toolkit.errors import ImageNotFound, UsageError
from toolkit.images.catalog import Catalog
from toolkit.images.families import Base, get_base
from toolkit.images.rendering import DEFAULT_NAMESPACE, image_tag
from toolkit.runtime.protocol import Runtime


def save_course_images(
    runtime: Runtime,
    catalog: Catalog,
    path: Path,
    names: Iterable[str] | None = None,
    base: Base | str = "debian:bookworm",
    *,
    namespace: str = DEFAULT_NAMESPACE,
) -> list[str]:
    """Write `names` (default: all) on `base` to one tar; return the references saved.

    The course images they are built FROM and the base image go in too: loaded elsewhere,
    every image then has the same id and its content hash still holds, so nothing is rebuilt.
    Raises ImageNotFound naming every tag that is not built yet.
    """
    base = base if isinstance(base, Base) else get_base(base)
    tags = [image_tag(name, base, namespace) for name in catalog.build_order(names)]
    tags.append(base.ref)
    missing = [tag for tag in tags if not runtime.image_exists(tag)]
    if missing:
        raise ImageNotFound(
            f"not built on {runtime.name}: {', '.join(missing)}; "
            f"run 'labkit images build --base {base.alias}' first"
        )
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give the archive's file name, e.g. course-images.tar")
    path.parent.mkdir(parents=True, exist_ok=True)
    runtime.save_images(tags, path)
    return tags


def load_course_images(runtime: Runtime, path: Path) -> list[str]:
    """Load every image in a tar written by save_course_images (or `docker save`)."""
    if not path.is_file():
        raise UsageError(f"no archive at {path}")
    return runtime.load_images(path)
