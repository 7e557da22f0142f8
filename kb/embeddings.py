"""Embeddings stored with their model id, keyed by the hash of the embedded text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
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
    existing = set(load_vectors(session, model, hashes))
    session.add_all(
        Embedding(
            content_hash=content_hash,
            model=model,
            dim=int(vector.shape[0]),
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
        )
        for content_hash, vector in zip(hashes, vectors, strict=True)
        if content_hash not in existing
    )
