"""HTML pages turned into Markdown-like text: headings, lists, tables and paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from ingest.decoding import decode_text
from ingest.limits import MAX_HTML_DEPTH, MAX_HTML_TAGS
from ingest.parsed import ParsedDocument, ReadResult
from kb.errors import DocumentFormatError

_DROPPED = ["script", "style", "nav", "noscript", "template", "head"]
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = ["ul", "ol"]
_BLOCKS = {
    *("address", "article", "aside", "blockquote", "body", "details", "dialog", "dd", "div"),
    *("dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "html"),
    *("li", "main", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th"),
    *("thead", "tr"),
}
_STRUCTURAL = _BLOCKS | set(_HEADINGS) | set(_LISTS)
_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
_SPACES = re.compile(r"\s+")
_META_PREFIX = "kb:"


def read(data: bytes, origin: str) -> ReadResult:
    """One document: the page as Markdown, `kb:` metas as fields, `<title>`/first h1 as title."""
    soup = _parse(decode_text(data, origin), origin)
    fields = _meta_fields(soup)
    title = fields.get("title") or _page_title(soup)
    for tag in soup.find_all(_DROPPED):
        tag.decompose()
    for br in soup.find_all("br"):
        br.insert_after(" ")  # so that text on either side of an inline <br> stays apart
    text = "\n\n".join(_blocks(soup))
    if not text.strip():
        raise DocumentFormatError(f"{origin}: empty document")
    return ReadResult(documents=[ParsedDocument(text, fields, origin, title)])


def _parse(page: str, origin: str) -> BeautifulSoup:
    """The parsed page, refused when it holds too many tags or nests them too deeply."""
    tags = page.count("<")  # an upper bound, counted before the costly parse
    if tags > MAX_HTML_TAGS:
        raise DocumentFormatError(
            f"{origin}: about {tags:,} tags, over the limit of {MAX_HTML_TAGS:,} for one page; "
            "split it into smaller pages"
        )
    soup = BeautifulSoup(page, "html.parser")
    if _depth(soup) > MAX_HTML_DEPTH:
        raise DocumentFormatError(
            f"{origin}: elements nested more than {MAX_HTML_DEPTH} levels deep; "
            "simplify the page's structure"
        )
    return soup


def _depth(soup: BeautifulSoup) -> int:
    """How deeply tags nest, found without recursion."""
    deepest = 0
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in tag.children if isinstance(child, Tag))
    return deepest


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cell texts as a Markdown table; the first row is the header."""
    width = max(len(row) for row in rows)
    cells = [[_cell(value) for value in row] + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)


def _cell(value: str) -> str:
    return _SPACES.sub(" ", value).strip().replace("|", "\\|")


def _meta_fields(soup: BeautifulSoup) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or "")
        if name.lower().startswith(_META_PREFIX) and meta.get("content") is not None:
            fields[name[len(_META_PREFIX) :].strip()] = str(meta["content"]).strip()
    return fields


def _page_title(soup: BeautifulSoup) -> str | None:
    for tag in (soup.title, soup.find("h1")):
        text = _inline(tag) if isinstance(tag, Tag) else ""
        if text:
            return text
    return None


def _blocks(node: Tag) -> Iterator[str]:
    """Markdown blocks of `node`'s children; inline runs between blocks become paragraphs."""
    run: list[str | None] = []  # None marks a line break (<br>)
    for child in node.children:
        if isinstance(child, Tag) and child.name in _STRUCTURAL:
            yield from _flush(run)
            yield from _block(child)
        elif isinstance(child, Tag):
            run.append(None if child.name == "br" else child.get_text())
        elif isinstance(child, NavigableString) and not isinstance(child, _SKIPPED_STRINGS):
            run.append(str(child))
    yield from _flush(run)


def _block(tag: Tag) -> Iterator[str]:
    if tag.name in _HEADINGS:
        text = _inline(tag)
        if text:
            yield "#" * _HEADINGS[tag.name] + " " + text
    elif tag.name in _LISTS:
        lines = list(_list_lines(tag, depth=0))
        if lines:
            yield "\n".join(lines)
    elif tag.name == "table":
        rows = _table_rows(tag)
        if rows:
            yield markdown_table(rows)
    elif tag.name == "pre":
        code = tag.get_text().strip("\n")
        if code.strip():
            yield f"```\n{code}\n```"
    elif tag.name != "hr":
        yield from _blocks(tag)


def _flush(run: list[str | None]) -> Iterator[str]:
    lines: list[list[str]] = [[]]
    for piece in run:
        if piece is None:
            lines.append([])
        else:
            lines[-1].append(piece)
    run.clear()
    text = "\n".join(filter(None, (_SPACES.sub(" ", "".join(line)).strip() for line in lines)))
    if text:
        yield text


def _list_lines(tag: Tag, depth: int) -> Iterator[str]:
    for item in tag.find_all("li", recursive=False):
        nested = item.find_all(_LISTS, recursive=False)
        for sub in nested:
            sub.extract()
        text = _inline(item)
        if text:
            yield "  " * depth + "- " + text
        for sub in nested:
            yield from _list_lines(sub, depth + 1)


def _table_rows(table: Tag) -> list[list[str]]:
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    cells = [
        [_inline(cell) for cell in row.find_all(["th", "td"], recursive=False)] for row in rows
    ]
    return [row for row in cells if any(row)]


def _inline(tag: Tag) -> str:
    return _SPACES.sub(" ", tag.get_text()).strip()
