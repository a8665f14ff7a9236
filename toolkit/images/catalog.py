"""The course's images: every folder under images/ that holds a Containerfile.

Loading checks what can be checked without an engine: names, FROM references to other course
images (and loops of them), logical package names. Errors point at the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit.course import images_root
from toolkit.errors import ConfigError, UsageError
from toolkit.images import graph
from toolkit.images.containerfile import OS_IMAGE, Template, parse_template
from toolkit.images.families import PACKAGES, Family, supported_families

CONTAINERFILE_NAMES = ("Containerfile", "Dockerfile")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class CourseImage:
    """One course image: its folder (the build context) and its parsed Containerfile."""

    name: str
    folder: Path
    containerfile: Path
    template: Template
    parents: tuple[str, ...]  # the course images its FROM lines name
    packages: tuple[str, ...]  # logical package names, in order of appearance

    @property
    def description(self) -> str:
        return self.template.description

    @property
    def families(self) -> tuple[Family, ...]:
        """The families this image builds on: those that have all its packages."""
        return supported_families(self.packages)

    def context_files(self) -> list[Path]:
        """Files of the build context, relative to the folder, sorted; the template excluded."""
        files = []
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and path != self.containerfile and "__pycache__" not in path.parts:
                files.append(path.relative_to(self.folder))
        return files


@dataclass(frozen=True)
class Catalog:
    """The course images of one images/ folder, by name."""

    folder: Path
    images: Mapping[str, CourseImage]

    def __iter__(self) -> Iterator[CourseImage]:
        return iter(self.images[name] for name in sorted(self.images))

    def __len__(self) -> int:
        return len(self.images)

    @property
    def names(self) -> list[str]:
        return sorted(self.images)

    @property
    def parents(self) -> dict[str, tuple[str, ...]]:
        return {name: image.parents for name, image in self.images.items()}

    def get(self, name: str) -> CourseImage:
        """The image of that name; raises UsageError listing the course's images."""
        try:
            return self.images[name]
        except KeyError:
            raise UsageError(
                f"no course image {name!r} in {self.folder}: choose one of {', '.join(self.names)}"
            ) from None

    def select(self, names: Iterable[str] | None) -> list[str]:
        """Validate names (None or empty: all), keeping their order without duplicates."""
        chosen = list(dict.fromkeys(names or ()))
        for name in chosen:
            self.get(name)
        return chosen or self.names

    def build_order(self, names: Iterable[str] | None = None) -> list[str]:
        """The images (default: all) and their course parents, parents first."""
        return graph.build_order(self.parents, self.select(names))


def default_images_dir() -> Path:
    """The images/ folder of the course (toolkit.course.find_course says which course)."""
    return images_root()


def _containerfiles(folder: Path) -> Iterator[Path]:
    for sub in sorted(folder.iterdir()):
        for candidate in CONTAINERFILE_NAMES:
            if (sub / candidate).is_file():
                yield sub / candidate
                break


def load_image(folder: Path) -> CourseImage:
    """Read one image folder; raises ConfigError for a bad name, FROM or package."""
    name = folder.name
    path = next((folder / n for n in CONTAINERFILE_NAMES if (folder / n).is_file()), None)
    if path is None:
        raise UsageError(f"{folder} has no Containerfile")
    if not _NAME.match(name) or name == "os":
        raise ConfigError(
            "an image folder's name must be lower case letters, digits, '.', '-', '_' and not 'os'",
            file=str(folder),
        )
    template = parse_template(path.read_text(encoding="utf-8"), name)
    froms = template.from_lines()
    if not froms:
        raise ConfigError("no FROM line: start with 'FROM labkit/os' or 'FROM labkit/NAME'", file=str(path))
    stages = {f.stage for f in froms if f.stage}
    parents: list[str] = []
    for from_line in froms:
        parent = from_line.course_image
        if from_line.image in stages or parent is None:
            continue  # labkit/os, an earlier stage or an outside image
        if parent == name:
            raise ConfigError(f"{name} is built FROM itself", file=str(path), line=from_line.line)
        if parent not in parents:
            parents.append(parent)
    packages: list[str] = []
    for line, names in template.installs():
        if not names:
            raise ConfigError("labkit-install names no package", file=str(path), line=line)
        for package in names:
            if package not in PACKAGES:
                raise ConfigError(
                    f"unknown package {package!r}: use one of {', '.join(sorted(PACKAGES))}, "
                    "or add it to toolkit/images/families.py",
                    file=str(path),
                    line=line,
                    key_path="labkit-install",
                )
            if package not in packages:
                packages.append(package)
    return CourseImage(name, folder, path, template, tuple(parents), tuple(packages))


def load_catalog(folder: Path | None = None) -> Catalog:
    """Discover the course images under `folder` (default: default_images_dir()).

    Raises UsageError when the folder has no image, ConfigError when a FROM names a course
    image that does not exist, CycleError when FROM lines loop.
    """
    folder = (folder or default_images_dir()).resolve()
    if not folder.is_dir():
        raise UsageError(f"no images folder at {folder}: set LABKIT_COURSE or run in the course")
    images = {path.parent.name: load_image(path.parent) for path in _containerfiles(folder)}
    if not images:
        raise UsageError(f"{folder} holds no image (a folder with a Containerfile)")
    for image in images.values():
        for parent in image.parents:
            if parent not in images:
                line = next(f.line for f in image.template.from_lines() if f.course_image == parent)
                raise ConfigError(
                    f"FROM labkit/{parent}: no course image {parent!r}; "
                    f"choose one of {', '.join(sorted(images))} or {OS_IMAGE}",
                    file=str(image.containerfile),
                    line=line,
                )
    graph.check_acyclic({name: image.parents for name, image in images.items()})
    return Catalog(folder, images)
