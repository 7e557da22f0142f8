"""Embeddings stored with their model id, keyed by the hash of the embedded text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from kb.models import Embedding

LOOKUP_BATCH = 500


def load_vectors(session: Session, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
    """The stored vectors of these hashes under this model (missing ones are left out)."""
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start : start + LOOKUP_BATCH]
        rows = session.exec(
            select(Embedding.content_hash, Embedding.vector).where(
                Embedding.model == model, col(Embedding.content_hash).in_(batch)
            )
        )
        for content_hash, blob in rows:
            found[content_hash] = np.frombuffer(blob, dtype=np.float32)
    return found


def store_vectors(session: Session, model: str, hashes: Sequence[str], vectors: np.ndarray) -> None:
    """Store vectors; a hash already stored under this model (by anyone, even at this moment in
    another process) is left as it is."""
    rows = [
        {
            "content_hash": content_hash,
            "model": model,
            "dim": int(vector.shape[0]),
            "vector": np.asarray(vector, dtype=np.float32).tobytes(),
        }
        for content_hash, vector in zip(hashes, vectors, strict=True)
    ]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Embedding).values(rows).on_conflict_do_nothing())
