"""What a student is handed: one page with the exercise's text, picture, addresses and checks.

`build_handout` gathers the page's content from a stack (with the project's addresses) and its
topology; `to_html` writes one self-contained HTML page (inline SVG, no external asset) and
`to_markdown` a Markdown page carrying the picture as Mermaid. A handout never holds the
solution, nor the commands the checks run.
"""

from toolkit.handout.page import CheckLine, Handout, build_handout

__all__ = ["CheckLine", "Handout", "build_handout"]
