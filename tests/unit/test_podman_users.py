"""How an exec user is spelled for Podman, so that a non-root user gets Docker's capabilities."""

from __future__ import annotations

import io
import tarfile

import pytest

from toolkit.runtime.podman.users import exec_user, file_from_archive, is_root, numeric_user

PASSWD = "root:x:0:0:root:/root:/bin/bash\n# a comment\nstudent:x:1000:1000::/home/student:/bin/bash\n"
GROUP = "root:x:0:\nstudent:x:1000:\nlab:x:1500:student\n"
FILES = {"/etc/passwd": PASSWD.encode(), "/etc/group": GROUP.encode()}


@pytest.mark.parametrize("user", ["", "root", "0", "root:root", "0:0", "0:1000"])
def test_root_in_every_spelling(user: str) -> None:
    assert is_root(user)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("student", "1000:1000"),
        ("1000", "1000:1000"),
        ("student:lab", "1000:1500"),
        ("student:1500", "1000:1500"),
        ("4242", "4242:0"),  # a uid without an entry keeps group 0, as both engines give it
        ("ghost", None),  # an unknown name: left to the engine, which says so
        ("student:nogroup", None),
    ],
)
def test_numeric_user(user: str, expected: str | None) -> None:
    assert numeric_user(user, PASSWD, GROUP) == expected


def test_the_container_user_is_spelled_anew_without_reading_files() -> None:
    def no_files(path: str) -> bytes | None:
        raise AssertionError(f"read {path}")

    assert exec_user(None, "student", no_files) == "student:"
    assert exec_user("student", "student", no_files) == "student:"
    assert exec_user(None, "1000", no_files) == "1000:"


def test_a_configured_user_and_group_is_spelled_as_numbers() -> None:
    assert exec_user(None, "student:lab", FILES.get) == "1000:1500"
    assert exec_user(None, "student:ghosts", FILES.get) is None  # unresolvable: left to Podman
    # Already numbers, the same string as the container's: no other spelling is tried.
    assert exec_user(None, "1000:1000", FILES.get) is None


def test_root_and_other_users_pass_unchanged() -> None:
    def no_files(path: str) -> bytes | None:
        raise AssertionError(f"read {path}")

    assert exec_user(None, "", no_files) is None
    assert exec_user(None, "root", no_files) is None
    assert exec_user("root", "student", no_files) == "root"
    assert exec_user("nobody", "student", no_files) == "nobody"  # not the container's: no capability


def test_file_from_archive() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("passwd")
        info.size = len(FILES["/etc/passwd"])
        tar.addfile(info, io.BytesIO(FILES["/etc/passwd"]))
    assert file_from_archive(buffer.getvalue()) == FILES["/etc/passwd"]
