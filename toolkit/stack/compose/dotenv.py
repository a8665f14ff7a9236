"""Read `.env` and `env_file` files the way Compose does.

    # a comment                 KEY=value    # an inline comment after a space
    export KEY=value            KEY: value   KEY = value
    KEY="double: \\n \\t \\" \\\\ \\$ and ${VAR}, may span lines"
    KEY='single: kept as written'
    KEY                         (alone: taken from the environment, dropped if unset)

Unquoted and double-quoted values are interpolated, looking first at the keys read earlier
in the same file, then at `lookup`.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import ConfigError
from toolkit.stack.compose.interpolate import InterpolationError, Lookup, substitute

MAX_ENV_FILE_BYTES = 1024 * 1024
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$$"}


def read_env_file(path: Path, display: str, lookup: Lookup) -> dict[str, str]:
    """Return the variables of an env file, in file order.

    Raises ConfigError naming the file and line of a malformed entry.
    """
    text = _read(path, display)
    values: dict[str, str] = {}

    def scoped(name: str) -> str | None:
        return values[name] if name in values else lookup(name)

    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        key, separator, rest = _split(line)
        if not key:
            raise ConfigError("a line has no variable name", file=display, line=number)
        if any(char.isspace() for char in key):
            raise ConfigError(f"variable name {key!r} contains a space", file=display, line=number)
        if not separator:
            found = lookup(key)
            if found is not None:
                values[key] = found
            continue
        rest = rest.strip()
        try:
            if rest.startswith("'") or rest.startswith('"'):
                raw, index = _quoted(key, rest, lines, index, display, number)
                value = raw if rest.startswith("'") else substitute(_unescape(raw), scoped)
            else:
                value = substitute(_strip_comment(rest), scoped)
        except InterpolationError as exc:
            raise ConfigError(str(exc), file=display, line=number, key_path=key) from None
        values[key] = value
    return values


def _read(path: Path, display: str) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_ENV_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=display) from None
    if len(data) > MAX_ENV_FILE_BYTES:
        raise ConfigError("the env file is larger than 1 MiB", file=display)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "the file is not valid UTF-8: save it as UTF-8",
            file=display,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None


def _split(line: str) -> tuple[str, str, str]:
    equals = line.find("=")
    colon = line.find(":")
    # `KEY: value` needs the blank after the colon; otherwise the colon belongs to the value.
    if colon >= 0 and (equals < 0 or colon < equals) and line[colon + 1 : colon + 2] in ("", " ", "\t"):
        cut = colon
    elif equals >= 0:
        cut = equals
    else:
        return line, "", ""
    return line[:cut].strip(), line[cut], line[cut + 1 :]


def _quoted(key: str, rest: str, lines: list[str], index: int, display: str, number: int) -> tuple[str, int]:
    """Return the text between the quotes (spanning lines if needed) and the next line index."""
    quote = rest[0]
    parts: list[str] = []
    chunk = rest[1:]
    while True:
        end = _closing_quote(chunk, quote)  # each line is scanned once: no quadratic rescans
        if end >= 0:
            parts.append(chunk[:end])
            return "\n".join(parts), index
        parts.append(chunk)
        if index >= len(lines):
            raise ConfigError(
                f"the value of {key} opens a quote ({quote}) that is never closed",
                file=display,
                line=number,
            )
        chunk = lines[index]
        index += 1


def _closing_quote(text: str, quote: str) -> int:
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\" and quote == '"':
            position += 2
            continue
        if char == quote:
            return position
        position += 1
    return -1


def _unescape(raw: str) -> str:
    out: list[str] = []
    position = 0
    while position < len(raw):
        char = raw[position]
        if char == "\\" and position + 1 < len(raw):
            following = raw[position + 1]
            out.append(_ESCAPES.get(following, "\\" + following))
            position += 2
            continue
        out.append(char)
        position += 1
    return "".join(out)


def _strip_comment(value: str) -> str:
    for position, char in enumerate(value):
        if char == "#" and position > 0 and value[position - 1].isspace():
            return value[:position].rstrip()
    return value.rstrip()
