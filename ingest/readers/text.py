"""Plain text files: the whole file is one document, titled by the pipeline (file stem)."""

from __future__ import annotations

from ingest.decoding import decode_text
from ingest.parsed import ParsedDocument, ReadResult
from kb.errors import DocumentFormatError


def read(data: bytes, origin: str) -> ReadResult:
    """One document holding the decoded text."""
    text = decode_text(data, origin).strip("\n")
    if not text.strip():
        raise DocumentFormatError(f"{origin}: empty document")
    return ReadResult(documents=[ParsedDocument(text, {}, origin, None)])
