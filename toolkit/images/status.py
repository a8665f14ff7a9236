"""The catalog listing: each course image, the families it builds on, and its local tags.

A local tag is up to date when its content-hash label equals the hash its inputs have now
(the Containerfile rendered for that base, the context files, the id of what it is built FROM).
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import ImageNotFound
from toolkit.images.builder import BASE_LABEL, HASH_LABEL, IMAGE_LABEL
from toolkit.images.catalog import Catalog, CourseImage
from toolkit.images.containerfile import OS_IMAGE
from toolkit.images.families import BASES, Base, Family
from toolkit.images.fingerprint import content_hash
from toolkit.images.rendering import DEFAULT_NAMESPACE, image_tag, render_containerfile
from toolkit.runtime.protocol import Runtime
from toolkit.runtime.specs import ImageInfo


@dataclass(frozen=True)
class LocalTag:
    base: str  # the base alias
    tag: str
    image_id: str
    created: str
    up_to_date: bool
    why_stale: str = ""  # "inputs changed", "base image missing", "built FROM a stale image"


@dataclass(frozen=True)
class CourseImageStatus:
    name: str
    description: str
    families: tuple[Family, ...]
    parents: tuple[str, ...]
    tags: tuple[LocalTag, ...]  # only the tags that exist on this engine


def describe(catalog: Catalog) -> list[CourseImageStatus]:
    """The catalog without an engine: names, descriptions, families, parents."""
    return [CourseImageStatus(i.name, i.description, i.families, i.parents, ()) for i in catalog]


def list_course_images(
    runtime: Runtime, catalog: Catalog, namespace: str = DEFAULT_NAMESPACE
) -> list[CourseImageStatus]:
    """Every course image with the tags of it on this engine and whether each is up to date."""
    built: dict[str, ImageInfo] = {}  # tag -> image
    for info in runtime.list_images({IMAGE_LABEL: None}):
        for tag in info.tags:
            built[tag] = info
    base_ids: dict[str, str | None] = {}
    verdicts: dict[tuple[str, str], tuple[bool, str]] = {}

    def base_id(base: Base) -> str | None:
        if base.alias not in base_ids:
            try:
                base_ids[base.alias] = runtime.inspect_image(base.ref).id
            except ImageNotFound:
                base_ids[base.alias] = None
        return base_ids[base.alias]

    def verdict(image: CourseImage, base: Base) -> tuple[bool, str]:
        """(up to date, why not) for the local tag of image on base, parents first."""
        key = (image.name, base.alias)
        if key in verdicts:
            return verdicts[key]
        tag = image_tag(image.name, base, namespace)
        parent_ids: list[str] = []
        result: tuple[bool, str] = (True, "")
        if any(f.image == OS_IMAGE for f in image.template.from_lines()):
            found = base_id(base)
            if found is None:
                result = (False, "base image missing")
            parent_ids.append(found or "")
        for parent in image.parents:
            parent_tag = image_tag(parent, base, namespace)
            if parent_tag not in built:
                result = (False, f"{parent} not built")
            elif not verdict(catalog.get(parent), base)[0]:
                result = (False, f"built FROM a stale {parent}")
            parent_ids.append(built[parent_tag].id if parent_tag in built else "")
        if result[0]:
            rendered = render_containerfile(image, base, namespace)
            expected = content_hash(image, rendered, ",".join(parent_ids))
            if built[tag].labels.get(HASH_LABEL) != expected:
                result = (False, "inputs changed")
        verdicts[key] = result
        return result

    statuses = []
    for image in catalog:
        tags = []
        for base in BASES.values():
            tag = image_tag(image.name, base, namespace)
            found = built.get(tag)
            if found is None or found.labels.get(BASE_LABEL) != base.alias:
                continue
            fresh, why = verdict(image, base)
            tags.append(LocalTag(base.alias, tag, found.id, found.created, fresh, why))
        statuses.append(
            CourseImageStatus(image.name, image.description, image.families, image.parents, tuple(tags))
        )
    return statuses
