"""Rendering a course Containerfile for every family and base."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.images.catalog import load_catalog
from toolkit.images.containerfile import parse_template
from toolkit.images.families import BASES, PackageManager
from toolkit.images.rendering import image_tag, render_containerfile

from .helpers import small_catalog

COURSE = load_catalog()


def test_image_tag_names_image_and_base() -> None:
    assert image_tag("netlab", "debian:bookworm") == "labkit/netlab:debian-bookworm"
    assert image_tag("netlab", "ubuntu:24.04") == "labkit/netlab:ubuntu-24.04"
    assert image_tag("netlab", "rocky:9") == "labkit/netlab:rocky-9"
    assert image_tag("web", "ubi-minimal:9", namespace="labkit-test") == ("labkit-test/web:ubi-minimal-9")
    with pytest.raises(UsageError, match="debian:bookworm"):
        image_tag("web", "debian:buster")


@pytest.mark.parametrize("alias", sorted(BASES))
@pytest.mark.parametrize("name", COURSE.names)
def test_every_course_image_renders_for_every_base(name: str, alias: str) -> None:
    base = BASES[alias]
    text = render_containerfile(COURSE.get(name), base)
    froms = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert froms, text
    for line in froms:
        assert "labkit/os" not in line
        ref = line.split()[1]
        assert ref == base.ref or ref.endswith(f":{base.tag}"), line
    assert "labkit-install" not in text
    manager = base.package_manager
    assert f"{manager.value} install -y" in text
    if manager is PackageManager.APT_GET:
        assert "--no-install-recommends" in text and "rm -rf /var/lib/apt/lists/*" in text
        assert "dnf" not in text
    else:
        assert "--setopt=install_weak_deps=0 --setopt=tsflags=nodocs" in text
        assert f"{manager.value} clean all" in text
        assert "apt-get" not in text


def test_course_parents_get_the_same_base_tag() -> None:
    text = render_containerfile(COURSE.get("netlab"), BASES["rocky:9"])
    assert "FROM labkit/base:rocky-9\n" in text
    text = render_containerfile(COURSE.get("netlab"), BASES["debian:bookworm"], "labkit-test")
    assert "FROM labkit-test/base:debian-bookworm\n" in text


def test_base_renders_the_family_names_of_its_logical_packages() -> None:
    apt = render_containerfile(COURSE.get("base"), BASES["debian:bookworm"])
    dnf = render_containerfile(COURSE.get("base"), BASES["fedora:41"])
    for name in ("iproute2", "iputils-ping", "bind9-dnsutils", "net-tools", "sudo", "vim-tiny"):
        assert f" {name}" in apt
    for name in ("iproute", "iputils", "bind-utils", "net-tools", "sudo", "vim-minimal"):
        assert f" {name}" in dnf
    assert "FROM registry.fedoraproject.org/fedora:41\n" in dnf


def test_other_lines_are_kept_verbatim() -> None:
    image = COURSE.get("web")
    text = render_containerfile(image, BASES["debian:bookworm"])
    template = image.containerfile.read_text()
    for line in template.splitlines():
        if not line.startswith(("FROM", "RUN labkit-install")):
            assert line in text.splitlines()
    assert text.startswith("# Rendered by labkit for debian:bookworm from web/Containerfile")


def test_continuations_stage_names_and_flags(tmp_path: Path) -> None:
    course = {
        "a": "FROM labkit/os\nRUN labkit-install ping \\\n    # tools\n    iproute\n",
        "b": 'FROM --platform=linux/amd64 labkit/a AS build\nRUN true\nFROM build\nCMD ["sh"]\n',
    }
    catalog = small_catalog(tmp_path, course)
    a = render_containerfile(catalog.get("a"), BASES["alma:9"])
    assert "dnf install -y --setopt=install_weak_deps=0 --setopt=tsflags=nodocs iputils iproute" in a
    assert "# tools" not in a
    b = render_containerfile(catalog.get("b"), BASES["alma:9"])
    assert "FROM --platform=linux/amd64 labkit/a:alma-9 AS build\n" in b
    assert "FROM build\n" in b
    assert catalog.get("b").parents == ("a",)


def test_parse_template_keeps_line_numbers_and_the_description() -> None:
    template = parse_template("# web: serves a page\n\nFROM labkit/os\nRUN a \\\n  b\nCMD x\n", "web")
    assert template.description == "serves a page"
    assert [(i.line, i.keyword, i.arguments) for i in template.instructions] == [
        (3, "FROM", "labkit/os"),
        (4, "RUN", "a b"),
        (6, "CMD", "x"),
    ]
