"""One step of a `kb worker`: take chunks no vector is stored for, embed them, store the
vectors; a failure is recorded (kb/embedding_queue.py) and retried later, never dropped.

Each step takes up to `batch` chunks that no other worker holds (their rows stay locked until
the step's transaction ends: FOR UPDATE SKIP LOCKED on PostgreSQL) and whose texts are not
waiting out a back-off. A text whose earlier attempt failed with an error is taken alone, so
that one text that cannot be embedded never holds back a batch of others; texts whose worker
died in the middle are tried together once more (if that dies too, they are failures: alone).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from kb.changes import note_change
from kb.clock import utcnow
from kb.db import transaction
from kb.embedding_queue import (
    EmbeddingAttempt,
    RetryPolicy,
    record_failure,
    record_stored,
    record_taken,
)
from kb.embeddings import store_vectors
from kb.models import Chunk, embedding_text
from search.embedder import Embedder
from search.embedding_pass import EMBEDDED, ENCODE_BATCH, missing_query

logger = logging.getLogger("kb.worker")
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class StepReport:
    taken: int = 0  # chunks taken (0: nothing is due now)
    embedded: int = 0  # texts embedded and stored
    failed: int = 0  # texts whose attempt failed (retried after their back-off)
    error: str | None = None


def embed_step(
    engine: Engine,
    embedder: Embedder,
    batch: int = ENCODE_BATCH,
    policy: RetryPolicy | None = None,
) -> StepReport:
    """Take, embed and store one batch (see the module's description)."""
    policy = policy or RetryPolicy()
    model = embedder.model_id
    hashes: list[str] = []
    try:
        with transaction(engine) as session:
            rows = _take(session, model, batch)
            if not rows:
                return StepReport()
            texts: dict[str, str] = {}
            for content_hash, context, text, document_id in rows:
                texts.setdefault(content_hash, embedding_text(context, text))
                note_change(session, document_id)
            hashes = list(texts)
            _record_taken(engine, model, hashes, policy)
            vectors = embedder.encode([texts[h] for h in hashes])
            store_vectors(session, model, hashes, vectors)
            record_stored(session, model, hashes)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried later
        if not hashes:
            raise
        error = f"{exc.__class__.__name__}: {exc}"
        with transaction(engine) as session:
            record_failure(session, model, hashes, error)
        logger.warning(
            "embedding %d texts failed; retried after a back-off",
            len(hashes),
            extra={"event": "worker.failed", "texts": len(hashes), "error": error},
        )
        return StepReport(taken=len(rows), failed=len(hashes), error=error)
    EMBEDDED.add(len(hashes))
    return StepReport(taken=len(rows), embedded=len(hashes))


def _take(session: Session, model: str, batch: int) -> list[Any]:
    """Due retries first: a text whose attempt failed with an error, alone; texts whose worker
    stopped in the middle (no error recorded), together, up to `batch`. Else up to `batch`
    chunks never attempted."""
    now = utcnow()
    attempted = col(EmbeddingAttempt.content_hash).is_not(None)
    due = and_(attempted, col(EmbeddingAttempt.next_attempt_at) <= now)
    errors = col(EmbeddingAttempt.last_error).is_not(None)
    for condition, limit in (
        (and_(due, errors), 1),
        (and_(due, ~errors), batch),
        (~attempted, batch),
    ):
        query = _due_query(model, condition).limit(limit)
        rows = session.exec(query.with_for_update(skip_locked=True, of=Chunk)).all()
        if rows:
            return list(rows)
    return []


def _due_query(model: str, condition: Any) -> Any:
    return (
        missing_query(model)
        .outerjoin(
            EmbeddingAttempt,
            and_(
                col(EmbeddingAttempt.content_hash) == Chunk.content_hash,
                col(EmbeddingAttempt.model) == model,
            ),
        )
        .where(condition)
        .order_by(col(Chunk.id))
    )


def _record_taken(engine: Engine, model: str, hashes: list[str], policy: RetryPolicy) -> None:
    """Committed at once, apart from the step's transaction: the attempt counts even if this
    process dies before storing. Two workers taking the same text (in two chunks) at once:
    the second to insert its record tries again and finds the first's."""
    for second_try in (False, True):
        try:
            with transaction(engine) as session:
                record_taken(session, model, hashes, WORKER_NAME, policy)
            return
        except IntegrityError:
            if second_try:
                raise
