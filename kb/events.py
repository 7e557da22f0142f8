"""The append-only event log, base of contribution tracking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from kb.clock import utcnow
from kb.models import Event

ACTIONS = (
    "create",
    "update",
    "restore",
    "review",
    "delete",
    "archive",
    "handover",
    "reuse",
    "outcome",
)


def record_event(
    session: Session,
    action: str,
    *,
    actor: str | None,
    document_id: int | None = None,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    event = Event(
        action=action,
        actor=actor,
        document_id=document_id,
        version=version,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    return event
