"""Reading and writing documents, versions and chunks. Every change makes a new version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from kb.clock import as_datetime, utcnow
from kb.documents import DocumentDraft
from kb.edit_notices import tell_owner_of_edit
from kb.errors import IdTaken, NotFound
from kb.events import record_event
from kb.models import MAX_ROW_ID, Chunk, Document, DocumentVersion, Grant, embedding_text
from kb.sections import HEADING_SEPARATOR, chunk_section_type
from kb.versions import get_version
from kb.vocabulary import Shape, Status, fields_of_shape

SaveChange = Literal["added", "updated", "unchanged"]
_DATE_FIELDS = fields_of_shape(Shape.date)


@dataclass(frozen=True)
class ChunkInput:
    ordinal: int
    heading_path: tuple[str, ...]
    text: str
    context: str  # title and headings embedded in front of the text
    content_hash: str  # hash of the exact text that is embedded

    @property
    def embedding_text(self) -> str:
        return embedding_text(self.context, self.text)


@dataclass
class SaveResult:
    document: Document
    version: DocumentVersion
    outcome: SaveChange


def row_id(value: str | int) -> int | None:
    """`value` as a database row id (a positive 64-bit integer written in ASCII digits), or None
    when it cannot be one: such a value names no row, so lookups answer "not found"."""
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def get_document(session: Session, document_id: int) -> Document:
    row = row_id(document_id)
    document = session.get(Document, row) if row is not None else None
    if document is None:
        raise NotFound(f"no document with id {document_id}")
    return document


def find_by_source_id(session: Session, source_id: str) -> Document | None:
    return session.exec(select(Document).where(Document.source_id == source_id)).first()


def resolve_document(session: Session, ref: str | int) -> Document:
    """A document by numeric id or by source id."""
    row = row_id(ref)
    if row is not None:
        document = session.get(Document, row)
        if document is not None:
            return document
    document = find_by_source_id(session, str(ref))
    if document is None:
        raise NotFound(f"no document with id or source id '{ref}'")
    return document


def save_draft(
    session: Session,
    draft: DocumentDraft,
    chunks: list[ChunkInput],
    *,
    author: str | None,
    change_note: str | None = None,
    source_path: str | None = None,
    now: datetime | None = None,
    create_only: bool = False,
    owner_accepted: bool = False,
) -> SaveResult:
    """Store a draft: a new document, a new version of one, or nothing when unchanged. A
    `source_path` says the draft was read from that file (ingest), and is recorded with the
    draft's hash. `create_only` (a new document over the API) refuses, with `IdTaken`, a
    draft whose id is taken, even by a writer that committed it a moment ago: the check is
    the database's unique constraint, so of racing creators exactly one wins. A new version
    by someone other than the owner notifies the owner (kb.edit_notices), whatever the path
    it came by, unless `owner_accepted` it already (a pending edit)."""
    now = now or utcnow()
    document = find_by_source_id(session, draft.source_id)
    if document is not None and create_only:
        raise IdTaken.of(draft.source_id)
    if document is None:
        result = _create(session, draft, chunks, author, change_note, now)
    else:
        current = get_version(session, document, document.current_version)
        if current.content_hash == draft.content_hash and document.status != Status.deleted:
            result = SaveResult(document, current, "unchanged")
        else:
            owner = document.owner
            result = _add_version(
                session, document, current, draft, chunks, author, change_note, now
            )
            if not owner_accepted:
                tell_owner_of_edit(session, document, result.version, author=author, owner=owner)
    if source_path:
        result.document.source_path, result.document.source_hash = source_path, draft.content_hash
        session.add(result.document)
    return result


def _create(
    session: Session,
    draft: DocumentDraft,
    chunks: list[ChunkInput],
    author: str | None,
    change_note: str | None,
    now: datetime,
) -> SaveResult:
    document = Document(
        source_id=draft.source_id,
        kind=draft.kind,
        title=draft.title,
        created_at=now,
    )
    _apply_draft(document, draft, now)
    document.owner = draft.owner
    session.add(document)
    try:
        session.flush()
    except IntegrityError as exc:
        if "source_id" in str(exc.orig):  # the unique id: another writer created it since
            raise IdTaken.of(draft.source_id) from None
        raise
    version = _write_version(session, document, draft, chunks, 1, author, change_note, now)
    _sync_grants(session, document, draft, new=True)
    record_event(
        session,
        "create",
        actor=author,
        document_id=document.id,
        version=1,
        at=now,
        detail={"kind": draft.kind, "title": draft.title},
    )
    return SaveResult(document, version, "added")


def _add_version(
    session: Session,
    document: Document,
    current: DocumentVersion,
    draft: DocumentDraft,
    chunks: list[ChunkInput],
    author: str | None,
    change_note: str | None,
    now: datetime,
) -> SaveResult:
    number = document.current_version + 1
    declared_owner_changed = current.owner != draft.owner
    was_deleted = document.status == Status.deleted
    _apply_draft(document, draft, now)
    if declared_owner_changed:
        document.owner = draft.owner
    session.add(document)
    version = _write_version(session, document, draft, chunks, number, author, change_note, now)
    _sync_grants(session, document, draft)
    # A new version of a deleted document brings it back: still an update (a version written,
    # counted as a contribution), marked as a restore.
    record_event(
        session,
        "update",
        actor=author,
        document_id=document.id,
        version=number,
        at=now,
        detail={"restored": True} if was_deleted else None,
    )
    return SaveResult(document, version, "updated")


def _apply_draft(document: Document, draft: DocumentDraft, now: datetime) -> None:
    document.kind = draft.kind
    document.title = draft.title
    document.language = draft.language
    document.confidentiality = draft.confidentiality
    document.status = draft.status
    document.meta = draft.meta
    document.updated_at = now
    document.content_date = content_date(draft.meta) or now


def content_date(meta: dict[str, Any]) -> datetime | None:
    """The date the content speaks for: the latest of its `updated`, `observed` (competitor
    intel) and `decision_date` (bid results) fields, None when it has none."""
    dates = [as_datetime(datetime.fromisoformat(str(meta[f]))) for f in _DATE_FIELDS if meta.get(f)]
    return max(dates) if dates else None


def _write_version(
    session: Session,
    document: Document,
    draft: DocumentDraft,
    chunks: list[ChunkInput],
    number: int,
    author: str | None,
    change_note: str | None,
    now: datetime,
) -> DocumentVersion:
    assert document.id is not None
    version = DocumentVersion(
        document_id=document.id,
        number=number,
        content_hash=draft.content_hash,
        title=draft.title,
        text=draft.text,
        meta={
            **draft.meta,
            "kind": draft.kind,
            "confidentiality": draft.confidentiality,
            "language": draft.language,
        },
        owner=draft.owner,
        status=draft.status,
        author=author,
        change_note=change_note,
        created_at=now,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    if chunks:  # one multi-row insert: ORM objects per chunk cost more than the writing
        session.execute(
            insert(Chunk),
            [
                {
                    "version_id": version.id,
                    "document_id": document.id,
                    "ordinal": chunk.ordinal,
                    "heading_path": HEADING_SEPARATOR.join(chunk.heading_path),
                    "text": chunk.text,
                    "context": chunk.context,
                    "content_hash": chunk.content_hash,
                    "section_type": chunk_section_type(draft.kind, draft.title, chunk.heading_path),
                }
                for chunk in chunks
            ],
        )
    document.current_version = number
    return version


def _sync_grants(
    session: Session, document: Document, draft: DocumentDraft, *, new: bool = False
) -> None:
    wanted = set(draft.meta.get("grants", []))
    assert document.id is not None
    if new:
        session.add_all(Grant(document_id=document.id, principal=p) for p in sorted(wanted))
        return
    existing = {
        g.principal: g for g in session.exec(select(Grant).where(Grant.document_id == document.id))
    }
    for principal in wanted - set(existing):
        assert document.id is not None
        session.add(Grant(document_id=document.id, principal=principal))
    for principal in set(existing) - wanted:
        session.delete(existing[principal])
