"""Image references the way Docker reads them, for an engine that reads them otherwise.

Docker takes a short name as a Docker Hub name: `debian:bookworm` is
`docker.io/library/debian:bookworm` and `labkit/base:x` is `docker.io/labkit/base:x`. Podman
resolves short names through registries.conf and stores its own images under `localhost/`, so
the same name can mean different images on the two engines. The Podman adapter therefore stores
and looks up every image under its Docker-qualified name, and shows names in Docker's familiar
form, as `docker images` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_OFFICIAL = "library/"
_ID = re.compile(r"(sha256:)?[0-9a-f]{12,64}")


@dataclass(frozen=True)
class Reference:
    """A parsed image reference: registry domain, repository path, tag and digest."""

    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """The fully qualified repository, without tag or digest."""
        return f"{self.domain}/{self.path}"

    def qualified(self) -> str:
        """The full reference, `docker.io/library/debian:bookworm`."""
        return self.repository + self._suffix()

    def familiar(self) -> str:
        """The reference as Docker shows it: `debian:bookworm`, `labkit/base:x`."""
        if self.domain != DOCKER_HUB:
            return self.qualified()
        path = self.path
        if path.startswith(_OFFICIAL) and "/" not in path[len(_OFFICIAL) :]:
            path = path[len(_OFFICIAL) :]
        return path + self._suffix()

    def _suffix(self) -> str:
        suffix = f":{self.tag}" if self.tag else ""
        return suffix + (f"@{self.digest}" if self.digest else "")


def looks_like_id(ref: str) -> bool:
    """An image id or id prefix rather than a name (Docker tries these as ids first)."""
    return _ID.fullmatch(ref) is not None


def parse(ref: str) -> Reference:
    """Parse a reference with Docker's normalisation rules (default tag `latest`)."""
    name, _, digest = ref.partition("@")
    tag: str | None = None
    last_slash = name.rfind("/")
    last_colon = name.rfind(":")
    if last_colon > last_slash:
        name, tag = name[:last_colon], name[last_colon + 1 :]
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = DOCKER_HUB, name
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = _OFFICIAL + path
    if tag is None and not digest:
        tag = "latest"
    return Reference(domain, path, tag, digest or None)


def qualify(ref: str) -> str:
    """The Docker-qualified form of a name; ids are returned unchanged."""
    return ref if looks_like_id(ref) else parse(ref).qualified()


def familiar(ref: str) -> str:
    """Docker's short form of a stored name (`docker.io/library/x:1` -> `x:1`)."""
    return ref if looks_like_id(ref) else parse(ref).familiar()


def split_repository(ref: str) -> tuple[str, str]:
    """(qualified repository, tag) for tagging; the tag defaults to `latest`."""
    parsed = parse(ref)
    return parsed.repository, parsed.tag or "latest"
