"""The bundle's manifest: what is in it, what made it, and the sha256 of every other member.

It is the bundle's first member, so a reader knows what to expect before reading the rest.
`FORMAT` changes when a reader of the previous format could not use a new bundle: a bundle of a
higher format is refused, naming the labkit that packed it.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

from toolkit.errors import UsageError

FORMAT = 1
MANIFEST_NAME = "manifest.json"
IMAGES_MEMBER = "images.tar"
COURSE_PREFIX = "course/"

# platform.machine() spellings -> the names engines use for image architectures.
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    machine = platform.machine().lower()
    return _ARCHITECTURES.get(machine, machine)


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int


@dataclass(frozen=True)
class BundledImage:
    ref: str
    id: str  # the image id (its config digest): the same on Docker and Podman


@dataclass(frozen=True)
class Manifest:
    labkit: str
    architecture: str
    base: str  # the base alias the images are built on
    engine: str  # the engine it was packed on
    created: str
    solutions: bool
    exercises: tuple[str, ...]
    images: tuple[BundledImage, ...]
    members: dict[str, Member] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @staticmethod
    def from_json(data: bytes, source: str) -> Manifest:
        """Read a manifest; refuse one that is not a labkit bundle's, or from a newer format.

        Raises:
            UsageError: naming `source` (the bundle) and what is wrong.
        """
        try:
            raw: Any = json.loads(data)
            version = int(raw["format"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{source}: its manifest is not a labkit bundle's: pack it again") from None
        if version > FORMAT:
            raise UsageError(
                f"{source} was packed by labkit {raw.get('labkit', '?')} in bundle format {version}; "
                f"this labkit reads format {FORMAT}: upgrade labkit to unpack it"
            )
        try:
            return Manifest(
                labkit=str(raw["labkit"]),
                architecture=str(raw["architecture"]),
                base=str(raw["base"]),
                engine=str(raw["engine"]),
                created=str(raw["created"]),
                solutions=bool(raw["solutions"]),
                exercises=tuple(str(name) for name in raw["exercises"]),
                images=tuple(BundledImage(str(i["ref"]), str(i["id"])) for i in raw["images"]),
                members={str(k): Member(str(v["sha256"]), int(v["size"])) for k, v in raw["members"].items()},
                format=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"{source}: its manifest lacks or garbles {exc}: pack it again") from None
