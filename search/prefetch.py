"""Embedding while an ingest stores documents: a background worker that embeds each committed
version's chunks and saves the vectors, so the index sync after the ingest finds them ready.

Storing runs on one core while the model waits; this overlaps the two. Only committed chunks
are sent here, so a failed document leaves no embeddings behind.
"""

from __future__ import annotations

import queue
import threading
from types import TracebackType

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.db import transaction
from kb.embeddings import load_vectors, store_vectors
from kb.store import ChunkInput
from search.embedder import Embedder

BATCH = 256
_DONE = object()


class EmbeddingPrefetcher:
    """Use as a context manager around the ingest; `add` is its `on_stored` hook."""

    def __init__(self, engine: Engine, embedder: Embedder) -> None:
        self.engine = engine
        self.embedder = embedder
        self.embedded = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=64)
        self._worker = threading.Thread(target=self._run, name="kb-embed", daemon=True)
        self._error: BaseException | None = None

    def __enter__(self) -> EmbeddingPrefetcher:
        self._worker.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._queue.put(_DONE)
        self._worker.join()

    def add(self, chunks: list[ChunkInput]) -> None:
        if self._error is None:
            self._queue.put(chunks)

    def _run(self) -> None:
        pending: dict[str, str] = {}
        while True:
            item = self._queue.get()
            if item is not _DONE:
                assert isinstance(item, list)
                pending.update((c.content_hash, c.embedding_text) for c in item)
            if pending and (len(pending) >= BATCH or item is _DONE):
                try:
                    self._embed(pending)
                except Exception as exc:  # the sync after the ingest embeds what is left
                    self._error = exc
                pending = {}
            if item is _DONE:
                return

    def _embed(self, texts: dict[str, str]) -> None:
        model = self.embedder.model_id
        with Session(self.engine) as session:
            known = load_vectors(session, model, texts)
        hashes = [h for h in texts if h not in known]
        if not hashes:
            return
        vectors = self.embedder.encode([texts[h] for h in hashes])
        with transaction(self.engine) as session:
            store_vectors(session, model, hashes, vectors)
        self.embedded += len(hashes)
