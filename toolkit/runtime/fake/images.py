"""The in-memory engine's images: ids and the tags that name them, kept as both engines keep them.

Measured through labkit's adapters (tests/engine/test_contract_images.py holds the cases): an
image is found by a tag, by its id (with or without `sha256:`) or by a prefix of its id; a tag
moves to the image built or tagged last; removing one of several tags only untags; removing an
image that a container uses, or by id while several tags name it, is refused unless forced.
Forced, Docker removes every tag of an id while labkit's Podman adapter still refuses, and a
forced removal of an image a container uses takes the name away and leaves the image.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from toolkit.errors import EngineError, ImageNotFound
from toolkit.runtime.specs import EngineName, HealthcheckSpec, ImageInfo, LabelSelector

_HEX = frozenset("0123456789abcdef")


def matches(labels: Mapping[str, str], selector: LabelSelector) -> bool:
    """Whether `labels` has every key of `selector`, with its value where one is given."""
    return all(key in labels and (value is None or labels[key] == value) for key, value in selector.items())


@dataclass
class FakeImage:
    id: str
    labels: dict[str, str]
    healthcheck: HealthcheckSpec | None = None


class FakeImageStore:
    """Images by id and the references that name them. The runtime holds the lock."""

    def __init__(self, flavour: EngineName, new_id: Callable[[], str]) -> None:
        self._flavour = flavour
        self._new_id = new_id
        self._images: dict[str, FakeImage] = {}  # by id
        self._tags: dict[str, str] = {}  # reference -> image id

    def resolve(self, ref: str) -> str:
        """The id `ref` names; raises ImageNotFound."""
        if ref in self._tags:
            return self._tags[ref]
        digits = ref.removeprefix("sha256:")
        if digits and set(digits) <= _HEX:
            found = [i for i in self._images if i.removeprefix("sha256:").startswith(digits)]
            if len(found) > 1:
                raise EngineError(f"image id prefix {ref} is ambiguous: give more digits")
            if found:
                return found[0]
        raise ImageNotFound(f"no image {ref}; build, load or import it first")

    def info(self, image_id: str) -> ImageInfo:
        image = self._images[image_id]
        return ImageInfo(
            id=image.id,
            tags=self._tags_of(image_id),
            labels=dict(image.labels),
            healthcheck=image.healthcheck,
        )

    def healthcheck(self, image_id: str) -> HealthcheckSpec | None:
        image = self._images.get(image_id)
        return image.healthcheck if image else None

    def store(
        self, refs: Sequence[str], labels: Mapping[str, str], check: HealthcheckSpec | None
    ) -> ImageInfo:
        image = FakeImage(f"sha256:{self._new_id()}", dict(labels), check)
        self._images[image.id] = image
        for ref in refs:
            self._tags[ref] = image.id  # the tag moves; an image it named before stays, untagged
        return self.info(image.id)

    def tag(self, ref: str, new_ref: str) -> None:
        self._tags[new_ref] = self.resolve(ref)

    def find(self, labels: LabelSelector) -> list[ImageInfo]:
        # One image can be named by several tags (or none): listed once, by id.
        return [self.info(i) for i, image in self._images.items() if matches(image.labels, labels)]

    def remove(self, ref: str, force: bool, users: Sequence[str]) -> None:
        """Untag `ref`, or remove the image it names; `users` are the containers using it."""
        image_id = self.resolve(ref)
        tags = self._tags_of(image_id)
        by_tag = ref in self._tags
        if by_tag and len(tags) > 1:
            del self._tags[ref]  # the image keeps its other names
            return
        if not by_tag and len(tags) > 1 and (not force or self._flavour == "podman"):
            raise EngineError(f"image {ref} is named by {', '.join(tags)}: remove those tags first")
        if users and not force:
            raise EngineError(f"image {ref} is used by container {users[0]}: remove the container first")
        for tag in tags:
            del self._tags[tag]
        if not users:
            del self._images[image_id]

    def _tags_of(self, image_id: str) -> tuple[str, ...]:
        return tuple(tag for tag, tagged in self._tags.items() if tagged == image_id)
