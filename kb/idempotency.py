"""Writes that take an `Idempotency-Key`: the answer a write gave, kept with the write.

A keyed write adds its `IdempotentWrite` row (caller, key, a fingerprint of the request, the
answer) in the same transaction as the write itself, so a write that did not commit leaves no
key behind and a key never names a write that did not happen. The (caller, key) pair is unique:
of two concurrent requests with one key, the second's insert waits for the first to commit, then
fails, and its whole transaction (its own copy of the write) rolls back; it answers with the
first one's stored answer instead.

`complete` is False while the answer holds what was known at commit: the work a write does after
its commit (embedding, waiting for the search state) has not finished yet, e.g. because the
server stopped. A retry finishes that work and completes the row.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, UniqueConstraint, delete, update
from sqlmodel import Field, Session, SQLModel, col, select

from kb.clock import utcnow
from kb.errors import InvalidInput

KEY_MAX_LENGTH = 255
KEPT_FOR = timedelta(hours=24)


class IdempotentWrite(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "key", name="uq_idempotent_write_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)
    key: str
    fingerprint: str  # method, path, query and body of the request (sha256)
    request: str  # "POST /documents": for the message when the key is reused elsewhere
    status: int
    body: Any = Field(sa_column=Column(JSON, nullable=False))
    document_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    complete: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency_key_reused"


def earlier_write(
    session: Session, person_id: int, key: str, fingerprint: str
) -> IdempotentWrite | None:
    """The write this caller made with this key (kept for a day), None when there is none;
    `IdempotencyKeyReused` when the key was used for another request."""
    found = session.exec(
        select(IdempotentWrite).where(
            IdempotentWrite.person_id == person_id,
            IdempotentWrite.key == key,
            col(IdempotentWrite.created_at) >= utcnow() - KEPT_FOR,
        )
    ).first()
    if found is not None and found.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key '{key}' was used for another request ({found.request} with "
            "another body or query); send a new key with each new request, the same key only "
            "to retry the same request"
        )
    return found


def remember_write(
    session: Session,
    *,
    person_id: int,
    key: str,
    fingerprint: str,
    request: str,
    status: int,
    body: dict[str, Any],
    document_ids: list[int],
    complete: bool = False,
) -> None:
    """Keep the answer of the write `session` is making (call it last, inside its
    transaction). Flushes, so a concurrent write with the same key makes this one fail here."""
    session.exec(  # type: ignore[call-overload]
        delete(IdempotentWrite).where(
            col(IdempotentWrite.person_id) == person_id,
            col(IdempotentWrite.created_at) < utcnow() - KEPT_FOR,
        )
    )
    session.add(
        IdempotentWrite(
            person_id=person_id,
            key=key,
            fingerprint=fingerprint,
            request=request,
            status=status,
            body=body,
            document_ids=document_ids,
            complete=complete,
        )
    )
    session.flush()


def complete_write(
    session: Session, person_id: int, key: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The write's work after its commit is done: keep its final answer, unless a retry kept
    one first. Returns the answer kept."""
    completed = session.exec(  # type: ignore[call-overload]
        update(IdempotentWrite)
        .where(
            col(IdempotentWrite.person_id) == person_id,
            col(IdempotentWrite.key) == key,
            col(IdempotentWrite.complete).is_(False),
        )
        .values(body=body, complete=True)
    )
    if completed.rowcount:
        return body
    kept = session.exec(
        select(IdempotentWrite.body).where(
            IdempotentWrite.person_id == person_id, IdempotentWrite.key == key
        )
    ).first()
    return kept if isinstance(kept, dict) else body
