"""PDF files via pypdf: the text of each page, pages separated by blank lines."""

from __future__ import annotations

import io

from pypdf import PdfReader

from ingest.parsed import ParsedDocument, ReadResult
from kb.errors import DocumentFormatError


def read(data: bytes, origin: str) -> ReadResult:
    """One document; the metadata title when set. Encrypted, corrupt or image-only → error."""
    reader = _open(data, origin)
    try:
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except Exception as exc:  # pypdf raises many error types on damaged files
        raise DocumentFormatError(f"{origin}: not a valid PDF file (corrupt: {exc})") from exc
    text = "\n\n".join(page for page in pages if page)
    if not text:
        raise DocumentFormatError(f"{origin}: no extractable text (scanned PDF?)")
    title = title.strip() if isinstance(title, str) else None
    return ReadResult(documents=[ParsedDocument(text, {}, origin, title or None)])


def _open(data: bytes, origin: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many error types on damaged files
        raise DocumentFormatError(f"{origin}: not a valid PDF file (corrupt or not a PDF)") from exc
    if encrypted and not _opens_without_password(reader):
        raise DocumentFormatError(
            f"{origin}: the PDF is encrypted (password-protected); save an unprotected copy"
        )
    return reader


def _opens_without_password(reader: PdfReader) -> bool:
    """Many PDFs are encrypted only to restrict printing/copying, with an empty user password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported algorithm or missing crypto dependency
        return False
