"""Read a course Containerfile template into instructions, and the two labkit markers in it.

A course Containerfile is an ordinary Containerfile with two conventions, so it stays readable
and editors still highlight it:

    # netlab: routing and firewall tools on top of the student host
    FROM labkit/base
    RUN labkit-install traceroute tcpdump netcat nftables iptables

- `FROM labkit/os` is the distribution base being built for (`--base`, e.g. debian:bookworm);
  `FROM labkit/NAME` is the course image NAME built on that same base.
- `RUN labkit-install PKG...` installs logical packages (toolkit/images/families.py) with the
  family's package manager and cleans its caches in the same layer.

The first line, when it is a comment, is the image's description (`NAME:` prefix optional).
"""

from __future__ import annotations

from dataclasses import dataclass

# The namespace of course images, the one place it is spelled: `FROM labkit/web` in a course
# Containerfile, and the tags built from it (`labkit/web:debian-bookworm`).
COURSE_NAMESPACE = "labkit"
COURSE_PREFIX = f"{COURSE_NAMESPACE}/"
OS_IMAGE = f"{COURSE_PREFIX}os"
INSTALL_MARKER = "labkit-install"


@dataclass(frozen=True)
class Instruction:
    """One instruction, its continuation lines joined; `line` is where it starts (1-based)."""

    line: int
    keyword: str  # upper case: FROM, RUN, ...
    arguments: str  # the rest, continuations joined with single spaces
    text: str  # the original lines, verbatim (without the final newline)


@dataclass(frozen=True)
class FromLine:
    line: int
    image: str
    stage: str  # the `AS name`, or ""

    @property
    def course_image(self) -> str | None:
        """The course image named, None for labkit/os or an outside image."""
        if self.image == OS_IMAGE or not self.image.startswith(COURSE_PREFIX):
            return None
        return self.image[len(COURSE_PREFIX) :]


@dataclass(frozen=True)
class Template:
    """A parsed course Containerfile: its items in order (instructions and verbatim lines)."""

    items: tuple[Instruction | str, ...]
    description: str

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        return tuple(item for item in self.items if isinstance(item, Instruction))

    def from_lines(self) -> tuple[FromLine, ...]:
        found = []
        for instruction in self.instructions:
            if instruction.keyword == "FROM":
                found.append(parse_from(instruction))
        return tuple(found)

    def installs(self) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(line, logical package names) of every `RUN labkit-install` instruction."""
        return tuple(
            (instruction.line, packages)
            for instruction in self.instructions
            if (packages := install_packages(instruction)) is not None
        )


def parse_from(instruction: Instruction) -> FromLine:
    words = [w for w in instruction.arguments.split() if not w.startswith("--")]
    image = words[0] if words else ""
    stage = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
    return FromLine(instruction.line, image, stage)


def install_packages(instruction: Instruction) -> tuple[str, ...] | None:
    """The logical packages of a `RUN labkit-install ...`, None for any other instruction."""
    if instruction.keyword != "RUN":
        return None
    words = instruction.arguments.split()
    if not words or words[0].rstrip(":") != INSTALL_MARKER:
        return None
    return tuple(words[1:])


def parse_template(text: str, name: str = "") -> Template:
    """Split a Containerfile into instructions (continuations joined) and verbatim lines."""
    lines = text.splitlines()
    items: list[Instruction | str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            items.append(line)
            index += 1
            continue
        start = index
        parts: list[str] = []
        current = stripped
        while current.endswith("\\") and index + 1 < len(lines):
            parts.append(current[:-1].rstrip())
            index += 1
            current = lines[index].strip()
            while current.startswith("#") and index + 1 < len(lines):
                # A comment inside a continuation is dropped, as the engines do.
                index += 1
                current = lines[index].strip()
        parts.append(current.removesuffix("\\").rstrip())
        index += 1
        joined = " ".join(p for p in parts if p)
        keyword, _, arguments = joined.partition(" ")
        items.append(
            Instruction(start + 1, keyword.upper(), arguments.strip(), "\n".join(lines[start:index]))
        )
    return Template(tuple(items), _description(lines, name))


def _description(lines: list[str], name: str) -> str:
    if not lines or not lines[0].startswith("#"):
        return ""
    text = lines[0].lstrip("#").strip()
    if name and text.lower().startswith(f"{name.lower()}:"):
        text = text[len(name) + 1 :].strip()
    return text
