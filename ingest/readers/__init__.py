"""One reader per file format. Each exposes `read(data, origin) -> ReadResult` and is pure:
bytes in, parsed documents out, no file system or database."""

from __future__ import annotations

from collections.abc import Callable

from ingest.limits import field_problem
from ingest.parsed import ReadResult, RecordError
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
    return _checked(reader(data, origin), origin)


def _checked(result: ReadResult, origin: str) -> ReadResult:
    """Documents whose fields the store cannot hold (a NUL character, deep nesting) become
    record errors. A file left with no document fails whole."""
    kept = []
    for parsed in result.documents:
        problems = (field_problem(name, value) for name, value in parsed.fields.items())
        problem = next((p for p in problems if p is not None), None)
        if problem is None:
            kept.append(parsed)
        else:
            result.errors.append(RecordError(parsed.origin or origin, problem))
    if result.documents and not kept:
        first = result.errors[-1]
        raise DocumentFormatError(f"{first.origin}: {first.message}")
    result.documents = kept
    return result
