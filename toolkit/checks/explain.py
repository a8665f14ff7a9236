"""What a failed check shows a student: the command as run, what was expected, the output
that matters.

A check's output can be long (a ruleset, a route table) and most of it unrelated to the
check: Docker's own `table ip nat` comes before the student's table in `nft list ruleset`.
The lines that share words with what was expected come first; the rest follow, trimmed to a
count of what was left out. Pure: the renderer decides how it looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.checks.results import CheckResult, format_seconds

SHOWN_LINES = 24
# Output this short is read at a glance in its own order (a route table keeps its header).
SHORT_OUTPUT = 8
# Words of a pattern worth looking for in output: runs of letters, digits, dots, colons,
# slashes and dashes left once the regex's escapes are undone (`10\.50\.0\.11` -> 10.50.0.11).
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{2,}")
# Regex syntax that leaves letters behind once its backslash is gone: \s, \d, \w, \b ...
_CLASS = re.compile(r"\\[sSdDwWbBAZz]")


@dataclass(frozen=True)
class Excerpt:
    """Output lines to show, which of them matter, and how many were left out."""

    lines: tuple[str, ...]
    relevant: int  # the first `relevant` lines share words with the expectation
    omitted: int
    total: int
    missing: tuple[str, ...] = ()  # words of the pattern that no line of the output has


def command_lines(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The command as a person would type it: the script of `sh -c` line by line, else argv."""
    if len(argv) == 3 and argv[1] == "-c" and argv[0].endswith("sh"):
        return tuple(argv[2].strip("\n").splitlines()) or ("",)
    return (" ".join(_quoted(arg) for arg in argv),)


def _quoted(arg: str) -> str:
    if arg and re.fullmatch(r"[A-Za-z0-9_./:=@%+,-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def expectation(result: CheckResult) -> str:
    """What the check expects, in full: the exit code and the pattern stdout must match."""
    text = f"exit {result.expected_exit}"
    if result.expected_output is not None:
        text += f" and stdout matching /{result.expected_output}/"
    return text


def outcome(result: CheckResult) -> str:
    """What happened instead, in a few words."""
    if result.error:
        return result.error
    if result.timed_out:
        return f"no answer within {format_seconds(result.timeout)}s"
    text = f"exit {result.exit_code}"
    if result.exit_code == result.expected_exit and result.expected_output is not None:
        text += ", but stdout does not match"
    if not (result.stdout.strip() or result.stderr.strip()):
        text += ", no output"
    return text


def pattern_words(pattern: str | None) -> tuple[str, ...]:
    """Literal words of a regex, to spot the output lines it was looking for."""
    if not pattern:
        return ()
    literal = _CLASS.sub(" ", pattern).replace("\\", "")
    return tuple(dict.fromkeys(word.strip(".") for word in _WORD.findall(literal)))


def excerpt(result: CheckResult, limit: int = SHOWN_LINES) -> Excerpt:
    """The output lines worth showing, the ones that matter first.

    A wrong exit code puts stderr (where errors go) before stdout. A wrong stdout longer than a
    glance puts first the lines sharing the most words with the expected pattern (a student's
    nearly right rule shares more than the engine's own), then the output in its own order,
    without those.
    """
    stdout = result.stdout.rstrip("\n").splitlines() if result.stdout.strip() else []
    stderr = result.stderr.rstrip("\n").splitlines() if result.stderr.strip() else []
    exit_wrong = result.exit_code != result.expected_exit
    lines = stderr + stdout if exit_wrong else stdout + stderr
    words = pattern_words(result.expected_output)
    shared = [sum(1 for word in words if word in line) for line in lines]
    best = max(shared, default=0)
    # A line sharing one word of three (`accept` of the engine's own `policy accept`) is not
    # the line the check looked for: bring lines forward only when they share half the words.
    enough = max(1, (len(words) + 1) // 2)
    picked = [i for i, count in enumerate(shared) if best >= enough and count == best][: limit // 2]
    if len(picked) == len(lines) or len(lines) <= SHORT_OUTPUT:
        picked = []  # every line alike, or all of it at a glance: nothing to bring forward
    chosen = set(picked)
    ordered = [lines[i] for i in picked] + [line for i, line in enumerate(lines) if i not in chosen]
    shown = tuple(ordered[:limit])
    missing = tuple(word for word in words if lines and not any(word in line for line in lines))
    return Excerpt(shown, len(picked), len(ordered) - len(shown), len(ordered), missing)
