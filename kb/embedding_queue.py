"""Attempts at embedding a text, kept by `kb worker` so that a text that fails is retried with
back-off, counted and shown, and never dropped.

The queue itself is the set of current chunks without a stored vector. A worker that takes texts
first records the attempt in a transaction of its own (committed at once, so an attempt counts
even when the worker dies in it), then embeds and stores the vectors and removes the records in
the transaction that holds the chunks. A text whose attempt failed waits `backoff(attempts)`
before anyone takes it again, and keeps its last error until a vector lands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import Text, delete, func
from sqlmodel import Column, Field, Session, SQLModel, col, select

from kb.clock import utcnow
from kb.models import Embedding

MAX_ERROR_CHARS = 500


class EmbeddingAttempt(SQLModel, table=True):
    """A text taken for embedding whose vector has not landed yet."""

    content_hash: str = Field(primary_key=True)
    model: str = Field(primary_key=True)
    attempts: int = 0
    taken_by: str = ""  # host:pid of the worker that took it last
    taken_at: NaiveDatetime = Field(default_factory=utcnow)
    next_attempt_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))


@dataclass(frozen=True)
class RetryPolicy:
    first_wait: float = 30.0  # seconds before the second attempt; doubles after each failure
    longest_wait: float = 3600.0

    def backoff(self, attempts: int) -> timedelta:
        """The wait after `attempts` attempts (never none: a text is always tried again)."""
        seconds = self.first_wait * 2.0 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.longest_wait))


def record_taken(
    session: Session, model: str, hashes: Sequence[str], worker: str, policy: RetryPolicy
) -> None:
    """Count one more attempt at each text and set when it may be taken again, should this one
    fail. A text whose earlier attempt left no error was taken by a worker that stopped before
    storing: that becomes its error now."""
    now = utcnow()
    known = {
        row.content_hash: row
        for row in session.exec(
            select(EmbeddingAttempt)
            .where(EmbeddingAttempt.model == model, col(EmbeddingAttempt.content_hash).in_(hashes))
            .with_for_update()
        )
    }
    for content_hash in hashes:
        row = known.get(content_hash)
        if row is None:
            row = EmbeddingAttempt(content_hash=content_hash, model=model)
        elif row.last_error is None:
            row.last_error = f"interrupted: {row.taken_by} stopped before storing the vector"
        row.attempts += 1
        row.taken_by, row.taken_at = worker, now
        row.next_attempt_at = now + policy.backoff(row.attempts)
        session.add(row)


def record_failure(session: Session, model: str, hashes: Sequence[str], error: str) -> None:
    for row in session.exec(
        select(EmbeddingAttempt).where(
            EmbeddingAttempt.model == model, col(EmbeddingAttempt.content_hash).in_(hashes)
        )
    ):
        row.last_error = error[:MAX_ERROR_CHARS]
        session.add(row)


def record_stored(session: Session, model: str, hashes: Sequence[str]) -> None:
    """The vectors landed: forget their attempts."""
    session.execute(
        delete(EmbeddingAttempt).where(
            col(EmbeddingAttempt.model) == model, col(EmbeddingAttempt.content_hash).in_(hashes)
        )
    )


def failed_attempts(session: Session, model: str, limit: int = 20) -> list[EmbeddingAttempt]:
    """Texts whose last attempt failed and that still have no vector, most attempted first
    (they wait for their next attempt)."""
    query = _failed(model).order_by(
        col(EmbeddingAttempt.attempts).desc(), col(EmbeddingAttempt.content_hash)
    )
    return list(session.exec(query.limit(limit)))


def failure_count(session: Session, model: str) -> int:
    failed = _failed(model).subquery()
    return int(session.exec(select(func.count()).select_from(failed)).one())


def _failed(model: str) -> Any:
    """Failed attempts at texts no vector landed for since (by another chunk, another worker
    or a `kb reindex`: those are done, whatever their record says)."""
    stored = select(Embedding.content_hash).where(
        Embedding.model == model, Embedding.content_hash == EmbeddingAttempt.content_hash
    )
    return select(EmbeddingAttempt).where(
        EmbeddingAttempt.model == model,
        col(EmbeddingAttempt.last_error).is_not(None),
        ~stored.exists(),
    )
