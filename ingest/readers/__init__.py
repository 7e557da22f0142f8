"""One reader per file format. Each exposes `read(data, origin) -> ReadResult` and is pure:
bytes in, parsed documents out, no file system or database."""

from __future__ import annotations

from collections.abc import Callable

from ingest.parsed import ReadResult
from ingest.readers import csv, docx, html, jsonl, markdown, pdf, text
from kb.errors import DocumentFormatError

Reader = Callable[[bytes, str], ReadResult]

READERS: dict[str, Reader] = {
    ".md": markdown.read,
    ".markdown": markdown.read,
    ".txt": text.read,
    ".html": html.read,
    ".htm": html.read,
    ".docx": docx.read,
    ".pdf": pdf.read,
    ".csv": csv.read,
    ".jsonl": jsonl.read,
}
SUFFIXES: frozenset[str] = frozenset(READERS)


def read_document(data: bytes, origin: str, suffix: str) -> ReadResult:
    """Read `data` with the reader for `suffix` (e.g. ".md"; case-insensitive)."""
    key = suffix.lower() if suffix.startswith(".") else "." + suffix.lower()
    reader = READERS.get(key)
    if reader is None:
        supported = " ".join(sorted(SUFFIXES))
        raise DocumentFormatError(
            f"{origin}: unsupported file type {suffix!r} (kb reads {supported})"
        )
    return reader(data, origin)
