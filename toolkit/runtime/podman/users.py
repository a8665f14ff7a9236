"""The user a Podman exec runs as, spelled so that it gets Docker's capabilities.

Docker gives a container's non-root user no capability at all: only root in the container
(and so `sudo`) reaches the ones the container was given. Podman 4 gives a non-root user
every capability added to the container, as ambient capabilities, and hands them to an exec
whose user is spelled exactly as the container's configured user (libpod compares the two
strings). An exec that names the same user in another spelling (`student:`, or `uid:gid`)
gets none, as on Docker: a student's `ip route add` fails without sudo on both engines.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from http import HTTPStatus

from podman.api import APIClient

from toolkit.errors import ContainerNotFound
from toolkit.runtime.podman.errors import check, engine_errors

ROOT_NAMES = frozenset({"", "root", "0"})
# Reads one file of a container (bytes), or None when it is not there.
FileReader = Callable[[str], bytes | None]


def is_root(user: str) -> bool:
    """Whether an image or exec user (`name`, `uid`, `name:group`...) means root."""
    return user.split(":", 1)[0] in ROOT_NAMES


def _entries(text: str) -> list[list[str]]:
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def numeric_user(user: str, passwd: str, group: str) -> str | None:
    """`user` as `uid:gid`, looked up in the container's /etc/passwd and /etc/group texts.

    None when it cannot be resolved the way the engine would (an unknown name or group).
    A uid missing from passwd keeps group 0, as both engines give it.
    """
    name, _, group_part = user.partition(":")
    uid = gid = None
    for fields in _entries(passwd):
        if len(fields) >= 4 and name in (fields[0], fields[2]):
            uid, gid = fields[2], fields[3]
            break
    if uid is None:
        if not name.isdigit():
            return None
        uid, gid = name, "0"
    if group_part:
        if group_part.isdigit():
            gid = group_part
        else:
            gid = next((f[2] for f in _entries(group) if len(f) >= 3 and f[0] == group_part), None)
            if gid is None:
                return None
    return f"{uid}:{gid}"


def read_file(api: APIClient, container: str, path: str) -> bytes | None:
    """One file of a container, through the archive endpoint (no process is started)."""
    with engine_errors(f"{path} of container {container}", not_found=ContainerNotFound):
        response = api.get(f"/containers/{container}/archive", params={"path": path})
        if response.status_code == HTTPStatus.NOT_FOUND:
            return None
        check(response)
    return file_from_archive(response.content)


def file_from_archive(archive: bytes) -> bytes | None:
    """The one regular file in a tar stream from the engine's archive endpoint."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile():
                extracted = tar.extractfile(member)
                return extracted.read() if extracted else None
    return None


def exec_user(requested: str | None, configured: str, read_file: FileReader) -> str | None:
    """The user to give Podman's exec for `requested` (None: the container's own user).

    Only the container's own user, spelled as configured, gets the capabilities: root and any
    other user pass unchanged. The container's user gets a trailing colon (the same user with
    its own group); a configured `user:group` is looked up as numbers instead.
    """
    user = configured if requested is None else requested
    if is_root(user) or user != configured:
        return requested
    if ":" not in configured:
        return f"{configured}:"
    passwd, group = read_file("/etc/passwd"), read_file("/etc/group")
    spelled = numeric_user(
        user, (passwd or b"").decode(errors="replace"), (group or b"").decode(errors="replace")
    )
    if spelled is None or spelled == configured:
        return requested
    return spelled
