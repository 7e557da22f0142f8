"""Word (.docx) files: headings become `#` lines, tables Markdown tables, in document order."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.parsed import ParsedDocument, ReadResult
from ingest.readers.docx_package import check_package
from ingest.readers.html import markdown_table
from kb.errors import DocumentFormatError

_HEADING_STYLE = re.compile(r"^(?:Heading|标题) ?([1-9])$")
_LIST_STYLE = re.compile(r"^List (Bullet|Number)")
_PARAGRAPH = qn("w:p")
_TABLE = qn("w:tbl")


def read(data: bytes, origin: str) -> ReadResult:
    """One document; core properties give the title and `author` when they are set.
    A package that unpacks too large or holds too many paragraphs is refused before parsing."""
    check_package(data, origin)
    document = _open(data, origin)
    styles = _StyleNames(document)
    text = "\n\n".join(_blocks(document, styles))
    if not text.strip():
        raise DocumentFormatError(f"{origin}: empty document")
    properties = document.core_properties
    fields = {"author": properties.author.strip()} if (properties.author or "").strip() else {}
    title = (properties.title or "").strip() or _first_title(document, styles)
    return ReadResult(documents=[ParsedDocument(text, fields, origin, title)])


def _open(data: bytes, origin: str) -> Document:
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own errors
        raise DocumentFormatError(
            f"{origin}: not a valid .docx file (corrupt or not a Word document)"
        ) from exc


class _StyleNames:
    """Paragraph style names by style id, looked up once (python-docx scans every style on
    each lookup, which made a document of many paragraphs take minutes)."""

    def __init__(self, document: Document) -> None:
        styles = document.styles
        self.by_id = {
            style.style_id: style.name or ""
            for style in styles
            if style.type == WD_STYLE_TYPE.PARAGRAPH
        }
        default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self.default = (default.name or "") if default is not None else ""

    def of(self, paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        return self.by_id.get(style_id, self.default) if style_id else self.default


def _blocks(document: Document, styles: _StyleNames) -> Iterator[str]:
    for element in document.element.body.iterchildren():
        if element.tag == _PARAGRAPH:
            text = _paragraph(Paragraph(element, document), styles)
        elif element.tag == _TABLE:
            text = _table(Table(element, document))
        else:
            continue
        if text:
            yield text


def _paragraph(paragraph: Paragraph, styles: _StyleNames) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    name = styles.of(paragraph)
    level = _heading_level(name)
    if level:
        return "#" * level + " " + text
    if _LIST_STYLE.match(name):
        return "- " + text
    return text


def _table(table: Table) -> str:
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    return markdown_table(rows) if rows else ""


def _heading_level(style_name: str) -> int:
    if style_name == "Title":
        return 1
    match = _HEADING_STYLE.match(style_name)
    return int(match.group(1)) if match else 0


def _first_title(document: Document, styles: _StyleNames) -> str | None:
    for paragraph in document.paragraphs:
        if _heading_level(styles.of(paragraph)) == 1 and paragraph.text.strip():
            return paragraph.text.strip()
    return None
