"""Reviews: the owner (or a manager) confirms a document is still right, without a new version."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from kb.access import Viewer, may_review
from kb.answers import approve_answer
from kb.clock import utcnow
from kb.errors import Conflict, Forbidden, InvalidInput
from kb.events import record_event
from kb.models import Document
from kb.vocabulary import Status

MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class Review:
    document_id: int
    source_id: str
    version: int
    reviewed_at: datetime
    reviewed_by: str | None
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "reviewed_at": self.reviewed_at.isoformat()}


def review_document(
    session: Session,
    document: Document,
    *,
    actor: str | None,
    viewer: Viewer | None,
    note: str | None = None,
    now: datetime | None = None,
    verifiers: Collection[str] = (),
    detail: dict[str, Any] | None = None,
) -> Review:
    """Mark `document` verified at `now`: its freshness clock restarts, a 'review' event records
    who did it (with the note, and `detail`). `viewer` None is the local operator (may review
    anything); otherwise the document's owner, one of its `verifiers` or a manager."""
    if not may_review(viewer, owner=document.owner, verifiers=verifiers):
        raise Forbidden(
            f"only the owner ({document.owner or 'none'}), a verifier or a manager may review "
            f"document {document.id}"
        )
    if document.status == Status.deleted:
        raise Conflict(f"document {document.id} is deleted; restore it before reviewing it")
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"the note has {len(note)} characters; the limit is {MAX_NOTE_CHARS}")
    now = now or utcnow()
    document.reviewed_at = now
    approve_answer(document)
    session.add(document)
    record_review(session, document, actor=actor, note=note, now=now, detail=detail)
    assert document.id is not None
    return Review(document.id, document.source_id, document.current_version, now, actor, note)


def record_review(
    session: Session,
    document: Document,
    *,
    actor: str | None,
    note: str | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The 'review' event of a decision on the document's current version (an approval or a
    request for changes), with its note and `detail`."""
    record_event(
        session,
        "review",
        actor=actor,
        document_id=document.id,
        version=document.current_version,
        at=now,
        detail={"note": note, **(detail or {})},
    )
