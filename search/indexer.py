"""Keeps the vector and keyword indexes in step with the store.

The store is the truth: `sync` compares the indexed chunk ids with the current chunks of active
documents and applies the difference, embedding only chunks whose text the configured model has
never embedded (vectors are kept in the database, keyed by text hash and model).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from tqdm import tqdm

from kb.config import Settings
from kb.db import transaction
from kb.embeddings import load_vectors, store_vectors
from kb.errors import IndexMismatch
from kb.models import Chunk, Event, keyword_text
from kb.sections import assign_section_types
from search.catalog import Catalog, load_catalog
from search.embedder import Embedder
from search.keyword import KeywordIndex
from search.tokenize import tokenize
from search.vector_index import VectorIndex

ENCODE_BATCH = 256
TEXT_BATCH = 500


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    embedded: int = 0
    reused: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


@dataclass
class IndexChanges:
    """One sync's changes, prepared before they are applied."""

    report: SyncReport = field(default_factory=SyncReport)
    stale_vector: list[int] = field(default_factory=list)
    stale_keyword: list[int] = field(default_factory=list)
    vectors: tuple[np.ndarray, np.ndarray] | None = None  # (chunk ids, vectors)
    tokens: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.stale_vector or self.stale_keyword or self.vectors or self.tokens)

    def apply(self, vector: VectorIndex, keyword: KeywordIndex) -> None:
        if self.stale_vector:
            vector.remove(np.asarray(self.stale_vector, dtype=np.int64))
        if self.stale_keyword:
            keyword.remove(np.asarray(self.stale_keyword, dtype=np.int64))
        if self.vectors is not None:
            vector.add(*self.vectors)
        if self.tokens:
            keyword.add(self.tokens)


@dataclass
class CheckReport:
    store_chunks: int = 0
    vector_count: int = 0
    keyword_count: int = 0
    missing_in_vector: list[int] = field(default_factory=list)
    extra_in_vector: list[int] = field(default_factory=list)
    missing_in_keyword: list[int] = field(default_factory=list)
    extra_in_keyword: list[int] = field(default_factory=list)
    missing_embeddings: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.missing_in_vector
            or self.extra_in_vector
            or self.missing_in_keyword
            or self.extra_in_keyword
            or self.missing_embeddings
        )

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "ok": self.ok}


class SearchIndexes:
    """The live indexes of one data folder, with the catalog search filters on."""

    def __init__(self, settings: Settings, engine: Engine, embedder: Embedder) -> None:
        self.settings = settings
        self.engine = engine
        self.embedder = embedder
        self.folder: Path = settings.index_dir
        self.catalog = Catalog()
        self._vector: VectorIndex | None = None
        self._keyword: KeywordIndex | None = None
        self._marker: int | None = None  # store marker the indexes are in step with
        self._catalog_marker: int | None = None  # ... and the catalog
        self.lock = threading.RLock()  # held to search, and to change the indexes
        self._sync_lock = threading.Lock()  # one sync at a time in this process

    # -- opening -------------------------------------------------------------------------
    @property
    def vector(self) -> VectorIndex:
        if self._vector is None:
            self._vector = self._open_vector()
        return self._vector

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            self._keyword = KeywordIndex.load(self.folder)
        return self._keyword

    def _open_vector(self) -> VectorIndex:
        sidecar = self.folder / "vectors" / "index.json"
        if sidecar.exists():
            try:
                built = json.loads(sidecar.read_text())
            except ValueError:
                built = {}
            if built.get("model") != self.embedder.model_id:
                raise IndexMismatch(
                    f"the vector index in {self.folder} was built with model "
                    f"'{built.get('model')}' but KB_EMBEDDING_MODEL is "
                    f"'{self.embedder.model_id}'; run `kb reindex` to rebuild it"
                )
            dim = int(built.get("dim", 0))
        else:
            dim = self.embedder.dim
        return VectorIndex.load(
            self.folder,
            self.embedder.model_id,
            dim,
            approximate_threshold=self.settings.ann_threshold,
        )

    # -- keeping in step -----------------------------------------------------------------
    def store_marker(self) -> int:
        with Session(self.engine) as session:
            return int(session.exec(select(func.max(Event.id))).one() or 0)

    def ensure_current(self) -> None:
        """Sync when the store changed since the last sync (cheap when it did not). A search
        does not wait for a sync already under way here or in another process (an upload
        being embedded): it uses the indexes as they are, and the next search catches up."""
        if self._marker is not None and self.store_marker() == self._marker:
            return
        if self._marker is None:  # nothing loaded yet: wait, there is nothing to search
            self.sync()
            return
        if not self._sync_lock.acquire(blocking=False):
            self._refresh_catalog()
            return
        try:
            with self._file_lock(wait=False) as locked:
                if locked:
                    self._sync(progress=False)
                else:
                    self._refresh_catalog()
        finally:
            self._sync_lock.release()

    def _refresh_catalog(self) -> None:
        """While another sync runs, still apply what the store says about who may see what and
        which documents are gone: the catalog filters every search, and chunks it does not
        know (deleted documents, replaced versions) are dropped from results."""
        marker = self.store_marker()
        if marker == self._catalog_marker:
            return
        with Session(self.engine) as session:
            catalog, _ = load_catalog(session)
        with self.lock:
            self.catalog = catalog
            self._catalog_marker = marker

    def sync(self, *, progress: bool = False) -> SyncReport:
        """Bring both indexes in step with the store, embedding only what is new."""
        with self._sync_lock, self._file_lock():
            return self._sync(progress)

    def rebuild(self, *, progress: bool = False) -> SyncReport:
        """Drop both indexes and build them again from the store (no re-embedding); section
        types are computed again too (the table may have grown)."""
        with self._sync_lock, self._file_lock():
            with transaction(self.engine) as session:
                assign_section_types(session, only_missing=False)
            for name in ("vectors", "keyword"):
                shutil.rmtree(self.folder / name, ignore_errors=True)
            with self.lock:
                self._vector = VectorIndex(
                    self.embedder.dim,
                    self.embedder.model_id,
                    approximate_threshold=self.settings.ann_threshold,
                )
                self._keyword = KeywordIndex()
                self._marker = None
            return self._sync(progress)

    def _sync(self, progress: bool) -> SyncReport:
        """The slow part (embedding, tokenising) runs while searches go on; only swapping the
        changes in and saving hold the lock searches take."""
        marker = self.store_marker()
        with Session(self.engine) as session:
            catalog, chunks = load_catalog(session)
        titles = {doc_id: entry.title for doc_id, entry in catalog.docs.items()}
        changes = self._changes(dict(chunks), titles, progress)
        with self.lock:  # saving compacts the keyword index: not while anyone searches
            changes.apply(self.vector, self.keyword)
            self.catalog = catalog
            self._marker = self._catalog_marker = marker
            if changes.any:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.vector.save(self.folder)
                self.keyword.save(self.folder)
        return changes.report

    def _changes(
        self, wanted: dict[int, str], titles: dict[int, str], progress: bool
    ) -> IndexChanges:
        """What to remove from and add to each index, with the new vectors and tokens."""
        changes = IndexChanges()
        wanted_ids = set(wanted)
        in_vector = set(self.vector.ids().tolist())
        in_keyword = set(self.keyword.ids().tolist())
        changes.stale_vector = sorted(in_vector - wanted_ids)
        changes.stale_keyword = sorted(in_keyword - wanted_ids)
        new_vector = sorted(wanted_ids - in_vector)
        new_keyword = sorted(wanted_ids - in_keyword)
        if new_vector:
            changes.vectors = self._vectors_for(new_vector, wanted, changes.report, progress)
        changes.tokens = [
            (chunk.id, tokenize(keyword_text(titles.get(chunk.document_id, ""), chunk)))
            for chunk in self._chunks(new_keyword)
            if chunk.id is not None
        ]
        changes.report.added = len(new_vector)
        changes.report.removed = len(changes.stale_vector)
        return changes

    def _vectors_for(
        self, chunk_ids: list[int], hashes: dict[int, str], report: SyncReport, progress: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        model = self.embedder.model_id
        with Session(self.engine) as session:
            known = load_vectors(session, model, (hashes[c] for c in chunk_ids))
        missing = sorted({hashes[c] for c in chunk_ids} - set(known))
        report.reused = len(chunk_ids) - sum(1 for c in chunk_ids if hashes[c] in missing)
        if missing:
            known.update(self._embed(missing, chunk_ids, hashes, progress))
            report.embedded = len(missing)
        ids = np.asarray(chunk_ids, dtype=np.int64)
        vectors = np.vstack([known[hashes[c]] for c in chunk_ids]).astype(np.float32)
        return ids, vectors

    def _embed(
        self, missing: list[str], chunk_ids: list[int], hashes: dict[int, str], progress: bool
    ) -> dict[str, np.ndarray]:
        """Embed texts the model has not seen, longest first, saving each batch as it goes."""
        missing_set = set(missing)
        first_chunk: dict[str, int] = {}
        for chunk_id in chunk_ids:
            if hashes[chunk_id] in missing_set:
                first_chunk.setdefault(hashes[chunk_id], chunk_id)
        texts = {c.content_hash: c.embedding_text for c in self._chunks(list(first_chunk.values()))}
        order = sorted(texts, key=lambda h: len(texts[h]), reverse=True)
        found: dict[str, np.ndarray] = {}
        bar = tqdm(total=len(order), desc="embedding", unit="chunk", disable=not progress)
        for start in range(0, len(order), ENCODE_BATCH):
            batch = order[start : start + ENCODE_BATCH]
            vectors = self.embedder.encode([texts[h] for h in batch])
            with transaction(self.engine) as session:
                store_vectors(session, self.embedder.model_id, batch, vectors)
            found.update(zip(batch, vectors, strict=True))
            bar.update(len(batch))
        bar.close()
        return found

    def _chunks(self, chunk_ids: Sequence[int]) -> Iterator[Chunk]:
        with Session(self.engine) as session:
            for start in range(0, len(chunk_ids), TEXT_BATCH):
                batch = list(chunk_ids[start : start + TEXT_BATCH])
                yield from session.exec(select(Chunk).where(col(Chunk.id).in_(batch)))

    # -- checking ------------------------------------------------------------------------
    def check(self) -> CheckReport:
        """Differences between the store and both indexes (nothing is changed)."""
        with Session(self.engine) as session:
            _, chunks = load_catalog(session)
            wanted = dict(chunks)
            known = load_vectors(session, self.embedder.model_id, wanted.values())
        wanted_ids = set(wanted)
        in_vector = set(self.vector.ids().tolist())
        in_keyword = set(self.keyword.ids().tolist())
        return CheckReport(
            store_chunks=len(wanted_ids),
            vector_count=len(in_vector),
            keyword_count=len(in_keyword),
            missing_in_vector=sorted(wanted_ids - in_vector),
            extra_in_vector=sorted(in_vector - wanted_ids),
            missing_in_keyword=sorted(wanted_ids - in_keyword),
            extra_in_keyword=sorted(in_keyword - wanted_ids),
            missing_embeddings=len(set(wanted.values()) - set(known)),
        )

    @contextmanager
    def _file_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """One writer at a time across processes (CLI ingest beside a running server). Yields
        whether the lock was taken (always, when waiting for it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
