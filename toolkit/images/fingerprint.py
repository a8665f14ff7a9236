"""The content hash of a course image's inputs: same inputs, same hash, no rebuild.

Inputs: the rendered Containerfile, every context file (path, executable bit, content), the id
of the image it is built FROM, the build arguments and labkit's version. Absolute paths and
times are left out, so a copy of the course elsewhere hashes the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from toolkit.images.catalog import CourseImage

# Bump when the meaning of the hash changes, so every image is rebuilt once.
HASH_SCHEME = "labkit-image-hash/1"


def labkit_version() -> str:
    try:
        return version("labkit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def content_hash(
    image: CourseImage,
    rendered: str,
    parent_id: str,
    build_args: Mapping[str, str] | None = None,
) -> str:
    """`sha256:<hex>` of everything a build of `image` depends on."""
    digest = hashlib.sha256()

    def feed(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            # Length-prefixed, so no two different inputs can concatenate to the same bytes.
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)

    feed(HASH_SCHEME, labkit_version(), "containerfile", rendered, "parent", parent_id)
    for relative in image.context_files():
        path = image.folder / relative
        # Only the executable bit, as git keeps it: a different umask must not force a rebuild.
        executable = "x" if path.stat().st_mode & 0o111 else "-"
        feed("file", relative.as_posix(), executable, _file_digest(path))
    for key in sorted(build_args or {}):
        feed("arg", key, (build_args or {})[key])
    return f"sha256:{digest.hexdigest()}"


def _file_digest(path: Path) -> bytes:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()
