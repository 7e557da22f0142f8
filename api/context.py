"""The composition root: settings, store, embedder, indexes and services, built once."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.metrics import Metrics, ReplicaState
from ingest.chunking import ChunkBudget
from ingest.pipeline import Ingester, IngestReport
from kb.changes import log_head
from kb.config import Settings
from kb.db import make_engine, make_read_engine
from kb.embedding_queue import failure_count
from kb.views import ViewLog
from search.embedder import SentenceTransformerEmbedder
from search.embedding_pass import queue_depth
from search.follower import Follower
from search.indexer import SearchIndexes, SyncReport
from search.service import SearchService

logger = logging.getLogger(__name__)
VIEW_WRITE_INTERVAL = 5.0  # seconds


class Context:
    """Everything a command or request needs, built lazily from one Settings object."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        configure_model_libraries(settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings)

    @cached_property
    def read_engine(self) -> Engine:
        """Where routes that only read go: the read replica, else the database."""
        return make_read_engine(self.settings) or self.engine

    def read_engine_at(self, min_seq: int | None) -> Engine:
        """The read replica, when it has replayed change `min_seq` of the log (always, without
        one); else, or when it cannot be asked, the primary."""
        replica = self.read_engine
        if min_seq is None or replica is self.engine:
            return replica
        try:
            with Session(replica) as session:
                if log_head(session)[0] >= min_seq:
                    return replica
        except Exception:  # noqa: BLE001 - the primary answers instead
            logger.warning("the read replica cannot be reached; reading the primary", exc_info=True)
        return self.engine

    @cached_property
    def views(self) -> ViewLog:
        return ViewLog()

    @cached_property
    def embedder(self) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder.from_settings(self.settings)

    @cached_property
    def indexes(self) -> SearchIndexes:
        return SearchIndexes(self.settings, self.engine, self.embedder)

    @cached_property
    def follower(self) -> Follower:
        return Follower(self.indexes, save_interval=self.settings.snapshot_interval)

    def start_following(self) -> None:
        """Keep the indexes in step with the change log from a background thread (a serving
        process); the first load happens there too, and /health says ready once it is done.
        Views noted by reads are written from another thread, every few seconds."""
        self.follower.start()
        self._stop_views = threading.Event()
        threading.Thread(target=self._write_views, name="kb-views", daemon=True).start()

    def stop_following(self) -> None:
        if "follower" in self.__dict__:
            self.follower.stop()
        if hasattr(self, "_stop_views"):
            self._stop_views.set()
        self.views.flush(self.engine)

    def _write_views(self) -> None:
        while not self._stop_views.wait(VIEW_WRITE_INTERVAL):
            try:
                self.views.flush(self.engine)
            except Exception:  # noqa: BLE001 - kept for the next try
                logger.warning("writing document views failed; will retry", exc_info=True)

    def applied(self, seq: int | None) -> None:
        """Return once this process's search state holds change `seq` (bounded wait)."""
        if seq is None:
            return
        self.indexes.generation(min_seq=seq)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(
            self.indexes,
            alpha=self.settings.hybrid_alpha,
            default_top_k=self.settings.top_k,
            translate=self.settings.query_translation,
            observe=self.metrics.observe_search,
        )

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.replica_state)

    def replica_state(self) -> ReplicaState:
        """This replica's search state and the database's log head and embedding queue
        (those two None when the database cannot be read now)."""
        generation = self.indexes.current
        head = depth = failures = None
        try:
            with Session(self.engine) as session:
                head = log_head(session)[0]
                depth = queue_depth(session, self.embedder.model_id)
                failures = failure_count(session, self.embedder.model_id)
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            logger.warning("reading the log head for /metrics failed", exc_info=True)
        applied = generation.seq if generation is not None else None
        return ReplicaState(
            ready=generation is not None,
            applied_seq=applied,
            lag=head - applied if head is not None and applied is not None else None,
            queue_depth=depth,
            embedding_failures=failures,
            index_chunks=generation.keyword_count if generation is not None else 0,
            index_vectors=generation.vector_count if generation is not None else 0,
        )

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        author: str | None = None,
        prune: bool = False,
        strict: bool = False,
        progress: bool = False,
    ) -> tuple[IngestReport, SyncReport]:
        """Ingest files and make them searchable: store every document, then bring the indexes
        in step (embedding only chunks the model has not embedded before)."""
        report = self.ingester.ingest_paths(
            paths, author=author, prune=prune, strict=strict, progress=progress
        )
        embed = not self.settings.embedding_workers
        return report, self.indexes.sync(progress=progress, embed=embed)

    @cached_property
    def ingester(self) -> Ingester:
        embedder = self.embedder
        budget = ChunkBudget(embedder.count_tokens, embedder.max_tokens, embedder.count_tokens_many)
        return Ingester(self.engine, budget, max_file_bytes=self.settings.max_file_bytes)


def configure_model_libraries(settings: Settings) -> None:
    """Set what the Hugging Face libraries read from the environment (they read it when first
    imported, which kb does only when a model is loaded): offline unless allowed, and no
    progress bars of their own on every command."""
    if settings.hub_offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
