"""The exercise's text as paragraphs, with `code` spans: the little markup exercise files use."""

from __future__ import annotations

import re
from html import escape

_CODE = re.compile(r"`([^`]+)`")


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; the lines of one paragraph are joined."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return [" ".join(line.strip() for line in block.splitlines()) for block in blocks if block.strip()]


def inline_html(text: str) -> str:
    """Escape a paragraph for HTML and turn `code` spans into <code> elements."""
    parts = _CODE.split(text)
    return "".join(
        f"<code>{escape(part)}</code>" if index % 2 else escape(part) for index, part in enumerate(parts)
    )
