"""Turn a course Containerfile into the Containerfile of one base: tags, base ref, installs."""

from __future__ import annotations

from toolkit.images.catalog import CourseImage
from toolkit.images.containerfile import (
    COURSE_NAMESPACE,
    OS_IMAGE,
    Instruction,
    install_packages,
    parse_from,
)
from toolkit.images.families import Base, get_base, install_commands, resolve_packages

DEFAULT_NAMESPACE = COURSE_NAMESPACE


def image_tag(name: str, base_alias: str | Base, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The tag of a course image built on a base: `labkit/netlab:debian-bookworm`.

    Raises UsageError for an unknown base alias.
    """
    base = base_alias if isinstance(base_alias, Base) else get_base(base_alias)
    return f"{namespace}/{name}:{base.tag}"


def render_containerfile(image: CourseImage, base: Base, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The Containerfile that builds `image` on `base`.

    `FROM labkit/os` becomes the base's reference, `FROM labkit/NAME` the tag of that course
    image on the same base, and `RUN labkit-install ...` the family's install command. Every
    other line is kept as written. Raises UsageError for a package the family lacks.
    """
    source = image.containerfile.relative_to(image.folder.parent)
    out = [f"# Rendered by labkit for {base.alias} from {source}: edit that file, not this one."]
    for item in image.template.items:
        if isinstance(item, str):
            out.append(item)
        elif item.keyword == "FROM":
            out.append(_render_from(item, base, namespace))
        elif (packages := install_packages(item)) is not None:
            out.append(_render_install(packages, base))
        else:
            out.append(item.text)
    return "\n".join(out) + "\n"


def _render_from(instruction: Instruction, base: Base, namespace: str) -> str:
    line = parse_from(instruction)
    if line.image == OS_IMAGE:
        ref = base.ref
    elif line.course_image is not None:
        ref = image_tag(line.course_image, base, namespace)
    else:
        return instruction.text
    flags = [w for w in instruction.arguments.split() if w.startswith("--")]
    stage = [f"AS {line.stage}"] if line.stage else []
    return " ".join(["FROM", *flags, ref, *stage])


def _render_install(packages: tuple[str, ...], base: Base) -> str:
    names = resolve_packages(packages, base)
    commands = list(install_commands(names, base.package_manager))
    return "RUN " + " \\\n && ".join(commands)
