"""Keeps one process's search state in step with the store by following the change log.

The store is the truth; the search state is a `Generation` (search/generation.py) derived from
it. `catch_up` reads, in one consistent snapshot of the database, the documents changed since
the current generation's seq, builds the next generation aside (sharing what did not change)
and swaps one reference. Searches take that reference (`generation`) and never wait for a
catch-up, never embed. A process starts from its stamped index files when they match the
database (search/snapshot.py), else rebuilds from the database, and either way replays the log.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.changes import ALL_DOCUMENTS, EVERYTHING, changed_since, log_head, note_change, token_at
from kb.clock import as_utc
from kb.config import Settings
from kb.db import snapshot as db_snapshot
from kb.db import transaction
from kb.embedding_queue import EmbeddingAttempt, failed_attempts
from kb.embeddings import load_vectors
from kb.errors import NotReady
from kb.glossary import Glossary, load_glossary
from kb.models import Chunk, Document, keyword_text
from kb.sections import assign_section_types
from kb.vocabulary import Kind
from search import snapshot
from search.catalog import Catalog, DocState, load_states, with_outcomes
from search.embedder import Embedder
from search.embedding_pass import embed_pending
from search.generation import Generation
from search.keyword import KeywordIndex
from search.tokenize import tokenize
from search.vector_index import VectorIndex

logger = logging.getLogger(__name__)
TEXT_BATCH = 500
SAVE_INTERVAL = 30.0  # seconds between saves of the index files by a running replica


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    embedded: int = 0
    reused: int = 0

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


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
    # texts a `kb worker` failed to embed: {content_hash, attempts, last_error, next_attempt_at}
    failed_embeddings: list[dict[str, object]] = field(default_factory=list)
    index_files: str = "ok"  # or why the index files on disk cannot be used

    @property
    def ok(self) -> bool:
        return self.index_files == "ok" and not (
            self.missing_in_vector
            or self.extra_in_vector
            or self.missing_in_keyword
            or self.extra_in_keyword
            or self.missing_embeddings
        )

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "ok": self.ok}


class SearchIndexes:
    """The search state of one process: the current generation and how it follows the log."""

    def __init__(self, settings: Settings, engine: Engine, embedder: Embedder) -> None:
        self.settings = settings
        self.engine = engine
        self.embedder = embedder
        self.folder: Path = settings.index_dir
        self._current: Generation | None = None
        self._build_lock = threading.Lock()  # one catch-up at a time; searches never take it
        self._applied = threading.Condition()
        self._saved_at = 0.0
        self._saved: Generation | None = None  # the generation this process saved last
        self.following = False  # a follower thread keeps this process in step
        self.nudge: Callable[[], None] = lambda: None  # wakes the follower thread
        self.rebuilt_because: str | None = None

    # -- the read side -------------------------------------------------------------------
    def generation(self, min_seq: int | None = None, timeout: float = 10.0) -> Generation:
        """The current generation. With `min_seq`, first wait (at most `timeout` seconds)
        until it has applied that change (read-your-writes). In a serving process a follower
        thread applies the log and this never applies anything; a process without one (the
        `kb` command, a library user) catches up here instead."""
        current = self._current
        if not self.following:
            return self.catch_up()
        if current is None or min_seq is None or current.seq >= min_seq:
            return current if current is not None else self._first_load(timeout)
        self.nudge()  # behind: have the follower look at the log now, not at its next poll
        deadline = time.monotonic() + timeout
        with self._applied:
            while (current := self._current) is not None and current.seq < min_seq:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._applied.wait(left)
        assert current is not None
        return current

    def _first_load(self, timeout: float) -> Generation:
        """Wait for the follower's first load (a request that came before readiness)."""
        deadline = time.monotonic() + timeout
        with self._applied:
            while self._current is None and time.monotonic() < deadline:
                self._applied.wait(deadline - time.monotonic())
        if self._current is None:
            raise NotReady("the search indexes are still loading; try again shortly")
        return self._current

    @property
    def current(self) -> Generation | None:
        """The current generation, None before the first load (never loads)."""
        return self._current

    @property
    def applied_seq(self) -> int:
        return self._current.seq if self._current is not None else 0

    # -- following the log ---------------------------------------------------------------
    def catch_up(self) -> Generation:
        """Apply what was committed since the current generation (load one first)."""
        with self._build_lock:
            current = self._current
            started = time.perf_counter()
            new = self._load() if current is None else self._advance(current)
            if new is not current:
                self._publish(new)
                _log_applied(current, new, time.perf_counter() - started)
            return new

    def _publish(self, generation: Generation) -> None:
        with self._applied:
            self._current = generation
            self._applied.notify_all()

    def _advance(self, current: Generation) -> Generation:
        with db_snapshot(self.engine) as session:
            seq, identity = log_head(session)
            unchanged = seq == current.seq and identity == current.identity
            if unchanged and token_at(session, seq) == current.token:
                return current
            reason = _restored(session, current, seq, identity)
            if reason is not None:
                logger.warning(
                    "rebuilding the search indexes: %s",
                    reason,
                    extra={"event": "follower.rebuild", "reason": reason},
                )
                self.rebuilt_because = reason
                return self._build(_empty(self, identity), session, None)
            changed = changed_since(session, current.seq, seq)
            if EVERYTHING in changed:  # chunks changed in place (section types recomputed)
                return self._build(_empty(self, identity), session, None)
            return self._build(current, session, changed)

    def _load(self) -> Generation:
        """Start from the stamped index files when they match the database, else rebuild."""
        with self._file_lock():
            snapshot.tidy(self.folder)  # what a process killed while saving left
        stamp = snapshot.read_stamp(self.folder)
        snapshot.refuse_other_model(stamp, self.embedder.model_id)
        with db_snapshot(self.engine) as session:
            seq, identity = log_head(session)
            reason = snapshot.mismatch(
                stamp, session, self.embedder.model_id, snapshot.tokenizer_version()
            )
            if reason is not None or stamp is None:
                self.rebuilt_because = reason
                return self._build(_empty(self, identity), session, None)
            keyword, vector, chunk_doc = snapshot.load(
                self.folder, stamp, self.settings.ann_threshold
            )
            states = load_states(session, None)
            base = Generation(
                stamp.seq,
                stamp.token,
                identity,
                _catalog_from(chunk_doc, states, load_glossary(session)),
                keyword,
                vector,
            )
            return self._build(base, session, changed_since(session, stamp.seq, seq), states)

    def _build(
        self,
        base: Generation,
        session: Session,
        changed: set[int] | None,
        states: dict[int, DocState] | None = None,
    ) -> Generation:
        """The next generation: `base` with the `changed` documents (None: all) as `session`
        sees them, up to the log head `session` sees."""
        seq, identity = log_head(session)
        token = token_at(session, seq) or ""
        if changed is None:
            states = states if states is not None else load_states(session, None)
        else:
            wanted = {d for d in changed if d > 0}
            if states is not None:
                states = {d: states.get(d, (None, [])) for d in wanted}
            else:
                states = load_states(session, wanted) if wanted else {}
            if not changed:
                return Generation(seq, token, identity, base.catalog, base.keyword, base.vector)
            if wanted and _glossary_touched(session, wanted):  # every entry is named by it
                states = {**load_states(session, None), **{d: (None, []) for d in wanted}}
                states.update(load_states(session, wanted))
        catalog = base.catalog.evolved(states, load_glossary(session))
        if changed is not None and (ALL_DOCUMENTS in changed or _touches_bids(base, states)):
            catalog = with_outcomes(catalog, session)
        removed = [
            chunk_id
            for doc_id, (_, chunks) in states.items()
            for chunk_id in set(base.chunks_of(doc_id)) - {c for c, _, _ in chunks}
        ]
        keyword = base.keyword.evolved(removed, self._tokens(session, base, catalog, states))
        ids, vectors = self._vectors(session, base, states)
        vector = base.vector.evolved(removed, ids, vectors)
        return Generation(seq, token, identity, catalog, keyword, vector)

    def _tokens(
        self,
        session: Session,
        base: Generation,
        catalog: Catalog,
        states: dict[int, DocState],
    ) -> list[tuple[int, list[str]]]:
        new = [c for _, chunks in states.values() for c, _, _ in chunks if c not in base.keyword]
        tokens = []
        for chunk in _chunk_rows(session, new):
            assert chunk.id is not None
            entry = catalog.docs.get(chunk.document_id)
            tokens.append((chunk.id, tokenize(keyword_text(entry.title if entry else "", chunk))))
        return tokens

    def _vectors(
        self, session: Session, base: Generation, states: dict[int, DocState]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of chunks not yet in the vector index (chunks whose vector has not
        landed yet are left out: they are found by keyword until it does)."""
        hashes = {
            c: h for _, chunks in states.values() for c, h, _ in chunks if c not in base.vector
        }
        known = load_vectors(session, self.embedder.model_id, hashes.values())
        ids = [c for c, h in hashes.items() if h in known]
        if not ids:
            return np.empty(0, np.int64), np.empty((0, base.vector.dim), np.float32)
        vectors = np.vstack([known[hashes[c]] for c in ids]).astype(np.float32)
        return np.asarray(ids, np.int64), vectors

    # -- the writer's side ---------------------------------------------------------------
    def sync(
        self,
        *,
        progress: bool = False,
        document_ids: Sequence[int] | None = None,
        embed: bool = True,
    ) -> SyncReport:
        """Embed what has no stored vector yet (unless `embed` is False: `kb worker`
        processes do), catch up and save the index files."""
        before = self._current
        embedded = 0
        if embed:
            report = embed_pending(self.engine, self.embedder, document_ids, progress=progress)
            embedded = report.embedded
        generation = self.catch_up()
        generation.vector.wait_for_graph()  # so the files saved hold it
        self.save()
        return _report(before, generation, embedded)

    def rebuild(self, *, progress: bool = False) -> SyncReport:
        """Build the indexes again from the database (embedding only what has no stored
        vector) and save them; section types are computed again too (the table may have
        grown)."""
        with transaction(self.engine) as session:
            if assign_section_types(session, only_missing=False):
                note_change(session, EVERYTHING)
        embedded = embed_pending(self.engine, self.embedder, progress=progress)
        with self._build_lock:
            with db_snapshot(self.engine) as session:
                seq, identity = log_head(session)
                generation = self._build(_empty(self, identity), session, None)
            self._publish(generation)
        generation.vector.wait_for_graph()  # so the files saved hold it
        with self._file_lock():
            snapshot.remove(self.folder)
        self.save()
        return _report(None, generation, embedded.embedded)

    def save_due(self, interval: float) -> bool:
        """Whether a periodic save (every `interval` seconds) has something new to write."""
        current = self._current
        if current is None or current is self._saved:
            return False
        return time.monotonic() - self._saved_at >= interval

    def save(self, *, if_older_than: float = 0.0) -> bool:
        """Write the current generation's index files (not over newer ones, and not when the
        database is no longer the one it was built from)."""
        current = self._current
        if current is None or time.monotonic() - self._saved_at < if_older_than:
            return False
        if if_older_than and current is self._saved:
            return False  # a periodic save with nothing new since the last one
        stamp = snapshot.Stamp(
            current.identity,
            current.seq,
            current.token,
            self.embedder.model_id,
            current.vector.dim,
            snapshot.tokenizer_version(),
        )
        with self._file_lock(), Session(self.engine) as session:
            if snapshot.mismatch(stamp, session, stamp.model, stamp.tokenizer) is not None:
                return False  # the database is no longer the one this was built from
            snapshot.tidy(self.folder)
            on_disk = snapshot.read_stamp(self.folder)
            newer = on_disk is not None and on_disk.seq > stamp.seq
            if newer and snapshot.mismatch(on_disk, session, stamp.model, stamp.tokenizer) is None:
                return False  # a `kb reindex` or another process saved a newer state
            started = time.perf_counter()
            snapshot.save(
                self.folder, stamp, current.keyword, current.vector, current.catalog.chunk_doc
            )
        self._saved_at = time.monotonic()
        self._saved = current
        seconds = round(time.perf_counter() - started, 3)
        logger.info(
            "saved the index files at seq %d",
            stamp.seq,
            extra={"event": "snapshot.saved", "seq": stamp.seq, "seconds": seconds},
        )
        return True

    # -- checking ------------------------------------------------------------------------
    def check(self) -> CheckReport:
        """Differences between the store and the current generation, and whether the index
        files on disk can be used (nothing is changed)."""
        stamp = snapshot.read_stamp(self.folder)
        generation = self.generation()
        with db_snapshot(self.engine) as session:
            reason = snapshot.mismatch(
                stamp, session, self.embedder.model_id, snapshot.tokenizer_version()
            )
            states = load_states(session, None)
            wanted = {c: h for _, chunks in states.values() for c, h, _ in chunks}
            known = load_vectors(session, self.embedder.model_id, wanted.values())
            failed = [_failure(a) for a in failed_attempts(session, self.embedder.model_id)]
        wanted_ids = set(wanted)
        in_vector = set(generation.vector.ids().tolist())
        in_keyword = set(generation.keyword.ids().tolist())
        return CheckReport(
            store_chunks=len(wanted_ids),
            vector_count=len(in_vector),
            keyword_count=len(in_keyword),
            missing_in_vector=sorted(wanted_ids - in_vector),
            extra_in_vector=sorted(in_vector - wanted_ids),
            missing_in_keyword=sorted(wanted_ids - in_keyword),
            extra_in_keyword=sorted(in_keyword - wanted_ids),
            missing_embeddings=len(set(wanted.values()) - set(known)),
            failed_embeddings=failed,
            index_files=reason or "ok",
        )

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """One writer of the index files at a time across processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _failure(attempt: EmbeddingAttempt) -> dict[str, object]:
    return {
        "content_hash": attempt.content_hash,
        "attempts": attempt.attempts,
        "last_error": attempt.last_error,
        "next_attempt_at": as_utc(attempt.next_attempt_at).isoformat(),
    }


def _log_applied(before: Generation | None, after: Generation, seconds: float) -> None:
    logger.info(
        "applied the change log up to seq %d",
        after.seq,
        extra={
            "event": "follower.loaded" if before is None else "follower.applied",
            "seq": after.seq,
            "from_seq": before.seq if before is not None else None,
            "chunks": after.keyword_count,
            "seconds": round(seconds, 3),
        },
    )


def _empty(indexes: SearchIndexes, identity: str) -> Generation:
    vector = VectorIndex(
        indexes.embedder.dim,
        indexes.embedder.model_id,
        approximate_threshold=indexes.settings.ann_threshold,
    )
    return Generation(0, "", identity, Catalog(), KeywordIndex(), vector)


def _restored(session: Session, current: Generation, seq: int, identity: str) -> str | None:
    """Why the database is no longer the one `current` followed (None: it is)."""
    if not identity:
        return "the change log is empty (a restore under way?)"
    if identity != current.identity:
        return "the database is another one (its identity changed)"
    if seq < current.seq:
        return f"the database went back from change {current.seq} to {seq} (a restore?)"
    if token_at(session, current.seq) != current.token:
        return f"change {current.seq} is not the one applied (a restore?)"
    return None


def _glossary_touched(session: Session, document_ids: set[int]) -> bool:
    """Whether a changed document is a glossary (it names every document's metadata)."""
    query = select(Document.id).where(
        col(Document.id).in_(list(document_ids)), Document.kind == Kind.glossary
    )
    return session.exec(query.limit(1)).first() is not None


def _touches_bids(base: Generation, states: dict[int, DocState]) -> bool:
    """Whether a changed document is (or was) a bid result: other documents' outcomes follow."""
    for doc_id, (entry, _) in states.items():
        before = base.document(doc_id)
        if (entry is not None and entry.kind == Kind.bid_result) or (
            before is not None and before.kind == Kind.bid_result
        ):
            return True
    return False


def _catalog_from(
    chunk_doc: dict[int, int], states: dict[int, DocState], glossary: Glossary
) -> Catalog:
    """The catalog the index files were saved with: their chunks, with today's entries of
    their documents (documents changed since are applied again after) and today's glossary."""
    doc_chunks: dict[int, list[int]] = {}
    for chunk_id, doc_id in chunk_doc.items():
        doc_chunks.setdefault(doc_id, []).append(chunk_id)
    docs = {d: e for d, (e, _) in states.items() if e is not None}
    sections = {
        chunk_id: section
        for _, chunks in states.values()
        for chunk_id, _, section in chunks
        if section and chunk_id in chunk_doc
    }
    return Catalog(docs, dict(chunk_doc), doc_chunks, sections, glossary)


def _chunk_rows(session: Session, chunk_ids: Sequence[int]) -> Iterator[Chunk]:
    for start in range(0, len(chunk_ids), TEXT_BATCH):
        batch = list(chunk_ids[start : start + TEXT_BATCH])
        yield from session.exec(select(Chunk).where(col(Chunk.id).in_(batch)))


def _report(before: Generation | None, after: Generation, embedded: int) -> SyncReport:
    old = set(before.vector.ids().tolist()) if before is not None else set()
    new = set(after.vector.ids().tolist())
    return SyncReport(
        added=len(new - old),
        removed=len(old - new),
        embedded=embedded,
        reused=max(len(new - old) - embedded, 0),
    )
