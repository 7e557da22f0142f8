"""The commit-ordered change log that search replicas follow.

Every transaction that changes what search shows (a document, its access, an outcome, a stored
vector) names the documents it touched (`note_change`). When it commits, it takes the next
sequence numbers from the one counter row, under that row's lock, as its last statement: a
second writer waits for the first to commit before it gets a number, so sequence order is
commit order, and a reader that sees seq N has seen every change up to N. Each change row holds
(seq, document, a random token); the token lets a replica tell a restored database (the same
seq naming another change) from the one it followed. On PostgreSQL the commit also notifies
`kb_changes` (LISTEN/NOTIFY); SQLite replicas poll the counter.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

CHANNEL = "kb_changes"
ALL_DOCUMENTS = 0  # a change that may touch any document's entry (a bid outcome)
EVERYTHING = -1  # a change to stored chunks of any document: replicas rebuild
_PENDING = "kb_changed_documents"
_COMMITTED = "kb_committed_seq"


class ChangeCounter(SQLModel, table=True):
    """One row: the last sequence number given out, and the database's identity."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    identity: str = Field(default_factory=lambda: uuid.uuid4().hex)


class Change(SQLModel, table=True):
    seq: int = Field(primary_key=True)
    document_id: int = Field(index=True)  # or ALL_DOCUMENTS, or EVERYTHING
    token: str


def ensure_counter(engine: Engine) -> None:
    """Create the counter row once (another process creating it first is fine)."""
    with Session(engine) as session:
        if session.get(ChangeCounter, 1) is not None:
            return
        session.add(ChangeCounter())
        try:
            session.commit()
        except Exception:  # noqa: BLE001 - a concurrent first start inserted it
            session.rollback()
            if session.get(ChangeCounter, 1) is None:
                raise


def note_change(session: Session, document_id: int | None) -> None:
    """Record, when `session` commits, that this document changed (None: any document's
    entry may have; EVERYTHING: rebuild)."""
    pending: set[int] = session.info.setdefault(_PENDING, set())
    pending.add(ALL_DOCUMENTS if document_id is None else int(document_id))


def committed_seq(session: Session) -> int | None:
    """The last sequence number `session`'s last commit took (None when it changed nothing)."""
    seq = session.info.get(_COMMITTED)
    return int(seq) if seq is not None else None


@event.listens_for(Session, "before_commit")
def _take_sequence_numbers(session: Session) -> None:
    pending: set[int] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    count = len(pending)
    session.execute(
        update(ChangeCounter)
        .where(col(ChangeCounter.id) == 1)
        .values(seq=col(ChangeCounter.seq) + count)
    )
    last = int(session.exec(select(ChangeCounter.seq).where(ChangeCounter.id == 1)).one())
    first = last - count + 1
    session.add_all(
        Change(seq=seq, document_id=doc, token=secrets.token_hex(6))
        for seq, doc in zip(range(first, last + 1), sorted(pending), strict=True)
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(last)}
        )
    session.info[_COMMITTED] = last


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def log_head(session: Session) -> tuple[int, str]:
    """(the last sequence number committed, the database identity)."""
    row = session.exec(select(ChangeCounter.seq, ChangeCounter.identity)).first()
    return (int(row[0]), str(row[1])) if row else (0, "")


def token_at(session: Session, seq: int) -> str | None:
    """The token of the change with this seq (None when there is none)."""
    if seq <= 0:
        return ""
    return session.exec(select(Change.token).where(Change.seq == seq)).first()


def changed_since(session: Session, after: int, upto: int) -> set[int]:
    """Documents changed in (after, upto]; ALL_DOCUMENTS among them when any may have."""
    rows = session.exec(
        select(Change.document_id).where(Change.seq > after, Change.seq <= upto).distinct()
    )
    return {int(row) for row in rows}


def changes_info(session: Session) -> dict[str, Any]:
    seq, identity = log_head(session)
    return {"seq": seq, "identity": identity}
