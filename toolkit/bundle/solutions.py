"""Take the reference solution out of an exercise's Compose file, keeping everything else.

The file is edited as text (comments, anchors and layout stay as the author wrote them): the
lines of `x-labkit.solution`, found through the YAML parser's positions, are cut. The caller
loads the result to prove the exercise is otherwise unchanged.
"""

from __future__ import annotations

import yaml


def strip_solution(text: str) -> str:
    """The Compose file's text without its `x-labkit.solution` key (unchanged if it has none)."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return text
    for key, value in root.value:
        if key.value != "x-labkit" or not isinstance(value, yaml.MappingNode):
            continue
        for inner_key, inner_value in value.value:
            if inner_key.value == "solution":
                return _cut(text, inner_key.start_mark.line, inner_value.end_mark)
    return text


def _cut(text: str, first_line: int, end: yaml.Mark) -> str:
    lines = text.splitlines(keepends=True)
    # A block value ends where the next key starts (column 0 of its line); a flow value or a
    # scalar ends inside its own last line, which goes too.
    last = end.line if end.column == 0 else end.line + 1
    return "".join(lines[:first_line] + lines[last:])
