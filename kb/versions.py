"""Reading a document's versions: one, all, their chunks, and the diff between two."""

from __future__ import annotations

import difflib

from sqlmodel import Session, col, select

from kb.errors import NotFound
from kb.models import MAX_ROW_ID, Chunk, Document, DocumentVersion


def get_version(session: Session, document: Document, number: int) -> DocumentVersion:
    if not 0 < number <= MAX_ROW_ID:  # beyond what the database can compare
        raise NotFound(f"document {document.id} has no version {number}")
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(
            f"document {document.id} has no version {number} "
            f"(versions 1 to {document.current_version})"
        )
    return version


def list_versions(session: Session, document: Document) -> list[DocumentVersion]:
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(col(DocumentVersion.number))
        )
    )


def version_chunks(session: Session, version: DocumentVersion) -> list[Chunk]:
    return list(
        session.exec(
            select(Chunk).where(Chunk.version_id == version.id).order_by(col(Chunk.ordinal))
        )
    )


def diff_versions(session: Session, document: Document, old: int, new: int) -> str:
    """A unified diff of two versions' text (and title, when it changed)."""
    before = get_version(session, document, old)
    after = get_version(session, document, new)
    lines = difflib.unified_diff(
        _diffable(before).splitlines(keepends=True),
        _diffable(after).splitlines(keepends=True),
        fromfile=f"{document.source_id} v{old}",
        tofile=f"{document.source_id} v{new}",
    )
    return "".join(lines)


def _diffable(version: DocumentVersion) -> str:
    return f"# {version.title}\n\n{version.text}\n"
