"""What an ingest run knows of each source file before it reads it: the document the file's
source id names, the hash of its current version and of what was last read from the file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from kb.models import Document, DocumentVersion
from kb.store import find_by_source_id


@dataclass(frozen=True)
class KnownSource:
    """What an ingest run compares a file's document against before doing any work."""

    current_hash: str  # of the current version
    source_path: str | None
    source_hash: str | None  # of what was last read from the file
    status: str


def known_sources(session: Session) -> dict[str, KnownSource]:
    """source id -> what the store knows of that document, deleted ones included."""
    rows = session.execute(
        sa_select(
            col(Document.source_id),
            col(DocumentVersion.content_hash),
            col(Document.source_path),
            col(Document.source_hash),
            col(Document.status),
        )
        .join(DocumentVersion, col(DocumentVersion.document_id) == Document.id)
        .where(col(DocumentVersion.number) == col(Document.current_version))
    )
    return {row[0]: KnownSource(*row[1:]) for row in rows}


def set_sources(session: Session, sources: dict[str, tuple[str, str]]) -> None:
    """Record, for documents whose content did not change, the file they are now read from
    (moved or renamed) and the hash of what it holds: source id -> (path, content hash)."""
    for source_id, (path, content_hash) in sources.items():
        document = find_by_source_id(session, source_id)
        if document is not None:
            document.source_path, document.source_hash = path, content_hash
            session.add(document)
