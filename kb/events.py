"""The append-only event log, base of contribution tracking. Every event also marks its
document changed for search replicas (kb/changes.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.changes import note_change
from kb.clock import utcnow
from kb.models import Event
from kb.vocabulary import EventAction

# What a document's history shows besides its versions (reuse and outcomes are the proposal
# tool's business, shown by contributions and suggestions).
_A = EventAction
HISTORY_ACTIONS = (
    _A.review,
    _A.review_request,
    _A.archive,
    _A.delete,
    _A.restore,
    _A.handover,
    _A.pending_edit,
)


def record_event(
    session: Session,
    action: EventAction | str,
    *,
    actor: str | None,
    document_id: int | None = None,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    event = Event(
        action=EventAction(action).value,  # one of the vocabulary's actions (ValueError if not)
        actor=actor,
        document_id=document_id,
        version=version,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    note_change(session, document_id)
    return event


def document_events(session: Session, document_id: int) -> list[Event]:
    """The history events of a document (HISTORY_ACTIONS), oldest first."""
    return list(
        session.exec(
            select(Event)
            .where(Event.document_id == document_id, col(Event.action).in_(HISTORY_ACTIONS))
            .order_by(col(Event.at), col(Event.id))
        )
    )
