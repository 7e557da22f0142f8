"""Word (.docx) files: headings become `#` lines, tables Markdown tables, in document order."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.parsed import ParsedDocument, ReadResult
from ingest.readers.html import markdown_table
from kb.errors import DocumentFormatError

_HEADING_STYLE = re.compile(r"^(?:Heading|标题) ?([1-9])$")
_LIST_STYLE = re.compile(r"^List (Bullet|Number)")
_PARAGRAPH = qn("w:p")
_TABLE = qn("w:tbl")


def read(data: bytes, origin: str) -> ReadResult:
    """One document; core properties give the title and `author` when they are set."""
    document = _open(data, origin)
    text = "\n\n".join(_blocks(document))
    if not text.strip():
        raise DocumentFormatError(f"{origin}: empty document")
    properties = document.core_properties
    fields = {"author": properties.author.strip()} if (properties.author or "").strip() else {}
    title = (properties.title or "").strip() or _first_title(document)
    return ReadResult(documents=[ParsedDocument(text, fields, origin, title)])


def _open(data: bytes, origin: str) -> Document:
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own errors
        raise DocumentFormatError(
            f"{origin}: not a valid .docx file (corrupt or not a Word document)"
        ) from exc


def _blocks(document: Document) -> Iterator[str]:
    for element in document.element.body.iterchildren():
        if element.tag == _PARAGRAPH:
            text = _paragraph(Paragraph(element, document))
        elif element.tag == _TABLE:
            text = _table(Table(element, document))
        else:
            continue
        if text:
            yield text


def _paragraph(paragraph: Paragraph) -> str:
    text = paragraph.text.strip()
    level = _heading_level(paragraph)
    if not text:
        return ""
    if level:
        return "#" * level + " " + text
    if _LIST_STYLE.match(_style_name(paragraph)):
        return "- " + text
    return text


def _table(table: Table) -> str:
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    return markdown_table(rows) if rows else ""


def _heading_level(paragraph: Paragraph) -> int:
    name = _style_name(paragraph)
    if name == "Title":
        return 1
    match = _HEADING_STYLE.match(name)
    return int(match.group(1)) if match else 0


def _style_name(paragraph: Paragraph) -> str:
    style = paragraph.style
    return (style.name or "") if style is not None else ""


def _first_title(document: Document) -> str | None:
    for paragraph in document.paragraphs:
        if _heading_level(paragraph) == 1 and paragraph.text.strip():
            return paragraph.text.strip()
    return None
