"""A document's life: archive, delete (soft: its history is kept) and restore, each recorded as
an event."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from kb.clock import utcnow
from kb.errors import InvalidInput
from kb.events import record_event
from kb.models import Document


def set_status(
    session: Session,
    document: Document,
    status: str,
    *,
    actor: str | None,
    now: datetime | None = None,
    duplicate_of: Document | None = None,
) -> bool:
    """Archive, delete (soft: history is kept) or restore (`active`), recorded as an event
    that names the status before. A deletion may give the document it is a near-duplicate
    of (`duplicate_of`, kept in the event: contributions count such deletions apart).
    Returns False when nothing changed."""
    if duplicate_of is not None:
        _check_duplicate(document, status, duplicate_of)
    if document.status == status:
        return False
    now = now or utcnow()
    previous = document.status
    document.status = status
    document.updated_at = now
    session.add(document)
    action = {"deleted": "delete", "archived": "archive", "active": "restore"}[status]
    record_event(
        session,
        action,
        actor=actor,
        document_id=document.id,
        version=document.current_version,
        at=now,
        detail={
            "from": previous,
            "to": status,
            **({"duplicate_of": duplicate_of.id} if duplicate_of is not None else {}),
        },
    )
    return True


def _check_duplicate(document: Document, status: str, original: Document) -> None:
    if status != "deleted":
        raise InvalidInput("duplicate_of is a reason to delete a document; give it only then")
    if original.id == document.id:
        raise InvalidInput(f"document {document.id} cannot be a duplicate of itself")
    if original.status == "deleted":
        raise InvalidInput(f"document {original.id} is deleted itself; name the copy that is kept")
