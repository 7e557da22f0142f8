"""Embedding the chunks no vector is stored for yet: the writer's side of search.

Searches never embed. Whoever writes (an API replica after a request, `kb ingest`, `kb
reindex`) embeds the chunks it stored whose text the model has not embedded, stores the vectors
(a vector another process stored first is kept: nothing is embedded twice into the store) and
marks their documents changed, so every replica adds the vectors when it follows the log.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from tqdm import tqdm

from kb.changes import committed_seq, note_change
from kb.db import transaction
from kb.embeddings import store_vectors
from kb.models import Chunk, Document, DocumentVersion, Embedding, embedding_text
from kb.vocabulary import Status
from search.embedder import Embedder

ENCODE_BATCH = 256


class EmbeddedTally:
    """How many texts this process has embedded for storage (never queries): /metrics reports
    it, so a replica that must not embed can be seen not to."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self, count: int) -> None:
        with self._lock:
            self._count += count

    @property
    def count(self) -> int:
        return self._count


EMBEDDED = EmbeddedTally()


@dataclass
class EmbedReport:
    embedded: int = 0  # texts embedded now
    seq: int | None = None  # the change that made the last of them visible to replicas


def missing_vectors(
    session: Session, model: str, document_ids: Sequence[int] | None = None
) -> dict[str, tuple[str, set[int]]]:
    """Texts of current chunks without a stored vector under `model`:
    content hash -> (embedding text, documents holding it)."""
    query = missing_query(model)
    if document_ids is not None:
        query = query.where(col(Chunk.document_id).in_(list(document_ids)))
    missing: dict[str, tuple[str, set[int]]] = {}
    for content_hash, context, text, document_id in session.exec(query):
        entry = missing.setdefault(content_hash, (embedding_text(context, text), set()))
        entry[1].add(document_id)
    return missing


def embed_pending(
    engine: Engine,
    embedder: Embedder,
    document_ids: Sequence[int] | None = None,
    *,
    progress: bool = False,
) -> EmbedReport:
    """Embed what these documents (None: all) hold without a stored vector, longest text
    first, storing each batch with its documents marked changed."""
    with Session(engine) as session:
        missing = missing_vectors(session, embedder.model_id, document_ids)
    order = sorted(missing, key=lambda h: len(missing[h][0]), reverse=True)
    report = EmbedReport()
    bar = tqdm(total=len(order), desc="embedding", unit="chunk", disable=not progress)
    for start in range(0, len(order), ENCODE_BATCH):
        batch = order[start : start + ENCODE_BATCH]
        vectors = embedder.encode([missing[h][0] for h in batch])
        EMBEDDED.add(len(batch))
        with transaction(engine) as session:
            store_vectors(session, embedder.model_id, batch, vectors)
            for document_id in {d for h in batch for d in missing[h][1]}:
                note_change(session, document_id)
        report.embedded += len(batch)
        report.seq = committed_seq(session)
        bar.update(len(batch))
    bar.close()
    return report


def queue_depth(session: Session, model: str) -> int:
    """Current chunks waiting for a vector under `model` (the embedding queue's length)."""
    waiting = missing_query(model).subquery()
    return int(session.exec(select(func.count()).select_from(waiting)).one())


def missing_query(model: str) -> Any:
    """(hash, context, text, document) of current chunks with no vector under `model`."""
    return (
        select(Chunk.content_hash, Chunk.context, Chunk.text, Chunk.document_id)
        .join(DocumentVersion, col(DocumentVersion.id) == Chunk.version_id)
        .join(Document, col(Document.id) == Chunk.document_id)
        .outerjoin(
            Embedding,
            and_(col(Embedding.content_hash) == Chunk.content_hash, col(Embedding.model) == model),
        )
        .where(
            Document.status == Status.active,
            DocumentVersion.number == Document.current_version,
            col(Embedding.content_hash).is_(None),
        )
    )
