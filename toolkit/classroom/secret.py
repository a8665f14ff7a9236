"""The course secret: the key every student's values are derived with.

Values come from HMAC-SHA256(secret, exercise | student | parameter), so the instructor (who
holds the secret) can reproduce any student's lab, and a student, who can read the course but
not the secret, cannot compute a classmate's values from their id.

Where it is, first found wins:
    $LABKIT_COURSE_SECRET        the secret itself (CI, a shared instructor account)
    $LABKIT_COURSE_SECRET_FILE   a file holding it
    ~/.config/labkit/course-secret   the default file, made by `labkit class secret`, mode 0600

The secret lives with the instructor, never in the course repository: students clone that.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from toolkit.errors import UsageError

SECRET_ENV = "LABKIT_COURSE_SECRET"
SECRET_FILE_ENV = "LABKIT_COURSE_SECRET_FILE"
MIN_LENGTH = 16


def secret_path(environ: Mapping[str, str]) -> Path:
    """The file the secret is kept in: $LABKIT_COURSE_SECRET_FILE, else the default one."""
    configured = environ.get(SECRET_FILE_ENV)
    if configured:
        return Path(configured).expanduser()
    home = Path(environ.get("XDG_CONFIG_HOME") or Path(environ.get("HOME", "~")) / ".config")
    return (home / "labkit" / "course-secret").expanduser()


def course_secret(environ: Mapping[str, str] | None = None) -> bytes:
    """The course secret, from the environment or its file.

    Raises:
        UsageError: none is set, or it is too short to be a secret.
    """
    environ = os.environ if environ is None else environ
    text = environ.get(SECRET_ENV)
    source = f"${SECRET_ENV}"
    if not text:
        path = secret_path(environ)
        if not path.is_file():
            raise UsageError(
                f"no course secret: run `labkit class secret` to make one (kept in {path}, "
                f"readable by you only), or set ${SECRET_ENV}"
            )
        text = path.read_text(encoding="utf-8").strip()
        source = str(path)
    if len(text) < MIN_LENGTH:
        raise UsageError(
            f"the course secret in {source} is shorter than {MIN_LENGTH} characters: make a longer one"
        )
    return text.encode("utf-8")


def ensure_secret_file(environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """Make the secret file with a random secret unless it exists; (path, whether it was made)."""
    path = secret_path(os.environ if environ is None else environ)
    if path.is_file():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path, True
