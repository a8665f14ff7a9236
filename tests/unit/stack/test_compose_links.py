"""`links`: a dependency, and a name on the networks the two services share."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.runtime.specs import ImageInfo
from toolkit.stack.compose.loader import load_stack
from toolkit.stack.model import Dependency, Link, Stack
from toolkit.stack.specs_from_model import network_spec, resolve_service

FILE = """
services:
  web:
    image: x
    links: [db:database, cache, db]
    depends_on:
      cache: {condition: service_healthy}
    networks: [front, back]
  db: {image: x, networks: [back]}
  cache: {image: x, networks: [front, back]}
  other: {image: x, networks: [front]}
networks: {front: {}, back: {}}
"""


def _load(tmp_path: Path, text: str = FILE) -> Stack:
    (tmp_path / "compose.yaml").write_text(text)
    return load_stack(tmp_path / "compose.yaml", environ={})


def test_links_are_read_and_imply_dependencies_compose_adds(tmp_path: Path) -> None:
    web = _load(tmp_path).services["web"]
    assert web.links == (Link("db", "database"), Link("cache", "cache"), Link("db", "db"))
    # The written dependency stays as written; the links add what it lacks.
    assert web.depends_on == (Dependency("cache", "service_healthy"), Dependency("db", restart=True))


def test_the_linked_container_gets_the_alias_on_the_networks_they_share(tmp_path: Path) -> None:
    stack = _load(tmp_path)
    networks = {name: network_spec("p", "e", network) for name, network in stack.networks.items()}

    def aliases(service: str) -> dict[str, tuple[str, ...]]:
        resolved = resolve_service(
            stack,
            stack.services[service],
            project="p",
            exercise="e",
            image=ImageInfo(id="sha256:0", tags=("x",)),
            image_ref="x",
            networks=networks,
        )
        return {a.network: a.aliases for a in resolved.container.networks}

    assert aliases("db") == {"p-back": ("db", "database")}
    assert aliases("cache") == {"p-back": ("cache",), "p-front": ("cache",)}
    assert aliases("other") == {"p-front": ("other",)}


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ("[nope]", "depends on 'nope', which is not a service of this file"),
        ("['db:']", "invalid link 'db:'"),
        ("['db:a:b']", "invalid link 'db:a:b'"),
        ("[other]", "links to 'other', but they share no network: labkit does not support"),
    ],
)
def test_a_wrong_link_is_refused(tmp_path: Path, links: str, message: str) -> None:
    text = f"services:\n  web:\n    image: x\n    links: {links}\n    networks: [back]\n"
    text += "  db: {image: x, networks: [back]}\n  other: {image: x, networks: [front]}\n"
    text += "networks: {front: {}, back: {}}\n"
    with pytest.raises(ConfigError, match=message):
        _load(tmp_path, text)
