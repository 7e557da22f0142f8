"""Edits by someone other than the owner: in teams that ask for it a change to an approved Q&A
waits as a pending edit until the owner accepts or rejects it. (The owner is told of every
edit by someone else by kb.edit_notices.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.answers import is_approved
from kb.clock import utcnow
from kb.edit_notices import edited_by_other
from kb.errors import Conflict, NotFound, VersionConflict
from kb.events import record_event
from kb.models import Document, PendingEdit, TeamPolicy
from kb.outbox import Message, notify
from kb.people import find_person
from kb.store import row_id
from kb.vocabulary import Kind, Topic


def holds_edits(session: Session, document: Document, author: str) -> bool:
    """Whether `author`'s change to `document` must wait for the owner: an approved Q&A whose
    owner's team asks for it, changed by someone else."""
    if (
        document.kind != Kind.qa
        or not document.owner
        or not edited_by_other(document.owner, author)
    ):
        return False
    owner = find_person(session, document.owner)
    policy = session.get(TeamPolicy, owner.team) if owner is not None and owner.team else None
    if policy is None or not policy.owner_approves_qa_edits:
        return False
    return is_approved(document)


def hold_edit(
    session: Session,
    document: Document,
    *,
    base_version: int,
    fields: dict[str, Any],
    text: str | None,
    change_note: str | None,
    author: str,
) -> PendingEdit:
    """Keep a (validated) change as a pending edit and ask the owner to accept it."""
    if base_version != document.current_version:
        raise VersionConflict(
            f"document {document.id} is at version {document.current_version}, not {base_version}",
            current_version=document.current_version,
        )
    assert document.id is not None
    pending = PendingEdit(
        document_id=document.id,
        base_version=base_version,
        fields=fields,
        text=text,
        change_note=change_note,
        author=author,
    )
    session.add(pending)
    session.flush()
    record_event(
        session,
        "pending_edit",
        actor=author,
        document_id=document.id,
        version=base_version,
        detail={"pending": pending.id, "status": "pending"},
    )
    message = Message(
        Topic.pending_edit,
        f"{author} proposes a change to {document.title}",
        f"'{document.title}' (document {document.id}) is an approved Q&A of your team: "
        f"{author}'s change waits for you to accept or reject it (pending edit {pending.id}).",
        document.id,
    )
    notify(session, document.owner, f"pending/{pending.id}", message)
    return pending


def pending_edits(session: Session, document: Document) -> list[PendingEdit]:
    return list(
        session.exec(
            select(PendingEdit)
            .where(PendingEdit.document_id == document.id)
            .order_by(col(PendingEdit.id))
        )
    )


def get_pending(session: Session, document: Document, pending_id: int | str) -> PendingEdit:
    row = row_id(pending_id)
    pending = session.get(PendingEdit, row) if row is not None else None
    if pending is None or pending.document_id != document.id:
        raise NotFound(f"document {document.id} has no pending edit {pending_id}")
    if pending.status != "pending":
        raise Conflict(f"pending edit {pending.id} is already {pending.status}")
    return pending


def close_pending(
    session: Session,
    pending: PendingEdit,
    *,
    accepted: bool,
    actor: str | None,
    now: datetime | None = None,
) -> None:
    """Record the owner's answer (the caller applies an accepted edit) and tell the author."""
    pending.status = "accepted" if accepted else "rejected"
    pending.decided_by, pending.decided_at = actor, now or utcnow()
    session.add(pending)
    record_event(
        session,
        "pending_edit",
        actor=actor,
        document_id=pending.document_id,
        version=pending.base_version,
        detail={"pending": pending.id, "status": pending.status},
    )
    message = Message(
        Topic.pending_edit,
        f"Your change was {pending.status}",
        f"{actor or 'The owner'} {pending.status} your change to document "
        f"{pending.document_id} (pending edit {pending.id}).",
        pending.document_id,
    )
    notify(session, pending.author, f"pending/{pending.id}/{pending.status}", message)


def set_team_policy(session: Session, team: str, *, owner_approves_qa_edits: bool) -> TeamPolicy:
    policy = session.get(TeamPolicy, team) or TeamPolicy(team=team)
    policy.owner_approves_qa_edits = owner_approves_qa_edits
    session.add(policy)
    return policy
