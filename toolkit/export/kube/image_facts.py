"""What a course image's Containerfile says that Kubernetes would not read from the image.

Kubernetes ignores an image's HEALTHCHECK, and a pod's securityContext should name the user the
image runs as. Both come from the course's Containerfiles: the last USER and HEALTHCHECK along
the image's FROM chain, child over parent. An image outside the course tells nothing here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.images.catalog import Catalog, load_catalog
from toolkit.runtime.specs import HealthcheckSpec
from toolkit.stack.compose.units import parse_duration
from toolkit.stack.service_images import parse_course_ref

# The course images' unprivileged user (images/base/Containerfile: `useradd student`, the first
# user of a fresh image, so uid 1000 on every family).
STUDENT_UID = 1000
_KNOWN_USERS = {"root": 0, "student": STUDENT_UID}


@dataclass(frozen=True)
class ImageFacts:
    user: str | None = None  # the USER the image ends with; None: not known (root by default)
    healthcheck: HealthcheckSpec | None = None


class CourseImages:
    """Facts about course images, read from one course's Containerfiles once."""

    def __init__(self, images_dir: Path | None) -> None:
        self._catalog: Catalog | None = None
        self._images_dir = images_dir

    def facts(self, ref: str) -> ImageFacts:
        """The user and healthcheck of the image `ref` names, when it is a course image."""
        catalog = self._load()
        course = parse_course_ref(ref, catalog.names) if catalog else None
        if catalog is None or course is None:
            return ImageFacts()
        user: str | None = None
        healthcheck: HealthcheckSpec | None = None
        for name in catalog.build_order([course.name]):  # parents first: the child's win
            for instruction in catalog.get(name).template.instructions:
                if instruction.keyword == "USER":
                    user = instruction.arguments.split(":")[0].strip()
                elif instruction.keyword == "HEALTHCHECK":
                    healthcheck = parse_healthcheck(instruction.arguments)
        return ImageFacts(user, healthcheck)

    def _load(self) -> Catalog | None:
        if self._catalog is None:
            try:
                self._catalog = load_catalog(self._images_dir)
            except ToolkitError:  # no course beside the exercise: its images are outside ones
                return None
        return self._catalog


def user_id(user: str | None) -> int | None:
    """The numeric uid of `root`, `student`, or `N[:G]`; None when not known."""
    if user is None:
        return None
    name = user.split(":")[0]
    if name.isdigit():
        return int(name)
    return _KNOWN_USERS.get(name)


def parse_healthcheck(arguments: str) -> HealthcheckSpec | None:
    """A HEALTHCHECK instruction's arguments (`--interval=5s CMD [...]`) as a spec; None: NONE."""
    words = arguments.split(None)
    options: dict[str, str] = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        options[key] = value
    rest = arguments[arguments.index(words[0]) :] if words else ""
    kind, _, command = rest.partition(" ")
    if kind.upper() != "CMD":
        return None
    command = command.strip()
    test: tuple[str, ...]
    if command.startswith("["):
        test = ("CMD", *json.loads(command))
    else:
        test = ("CMD-SHELL", command)
    return HealthcheckSpec(
        test=test,
        interval=parse_duration(options.get("interval", "30s")),
        timeout=parse_duration(options.get("timeout", "30s")),
        retries=int(options.get("retries", "3")),
        start_period=parse_duration(options.get("start-period", "0s")),
    )
