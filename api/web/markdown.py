"""Document text as HTML: Markdown with raw HTML off (it shows as text) and links limited to
safe schemes (markdown-it refuses javascript:, vbscript:, file: and data: URLs)."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markupsafe import Markup, escape

SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _link_open(self: RendererHTML, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    scheme = href.split("/", 1)[0].lower() if ":" in href.split("/", 1)[0] else ""
    if scheme and not scheme.startswith(SAFE_SCHEMES):
        token.attrSet("href", "#")
    token.attrSet("rel", "noopener noreferrer nofollow")
    return self.renderToken(tokens, idx, options, env)


_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable("table")
_md.add_render_rule("link_open", _link_open)


def render_markdown(text: str) -> Markup:
    return Markup(_md.render(text))  # noqa: S704 - markdown-it escapes text; raw HTML is off


def highlight(snippet: str, mark: str = "**") -> Markup:
    """A search snippet with the matched terms (between `mark`s) in <mark>, all else escaped."""
    parts = snippet.split(mark)
    html = [
        Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    ]
    return Markup("").join(html)
