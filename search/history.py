"""Search over history: past versions of documents and archived documents.

The live indexes hold only the current versions of active documents. Asking for history ranks
the other chunks too, ad hoc: BM25 over their text and cosine over their stored embeddings (no
re-embedding). It is slower than a normal search and meant for occasional use.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from kb.access import Viewer, version_confidentiality
from kb.embeddings import load_vectors
from kb.glossary import load_glossary
from kb.models import Chunk, Document, DocumentVersion, keyword_text
from kb.vocabulary import Kind, Status
from search.catalog import DocEntry, entries_of, parse_filters
from search.embedder import Embedder
from search.fusion import convex_combination, one_signal
from search.keyword import KeywordIndex, SynonymGroup
from search.tokenize import tokenize


@dataclasses.dataclass
class PastChunk:
    chunk: Chunk
    entry: DocEntry  # the document as of this chunk's version


def past_chunks(
    session: Session, filters: Mapping[str, Any], viewer: Viewer | None
) -> list[PastChunk]:
    """Chunks of earlier versions and of archived documents that filters and viewer allow."""
    rows = session.exec(
        select(Chunk, DocumentVersion.number, DocumentVersion.title, DocumentVersion.meta)
        .join(DocumentVersion, col(DocumentVersion.id) == Chunk.version_id)
        .join(Document, col(Document.id) == Chunk.document_id)
        .where(
            Document.status != Status.deleted,
            Document.kind != Kind.glossary.value,
            (DocumentVersion.number != Document.current_version)
            | (Document.status == Status.archived),
        )
    ).all()
    if not rows:
        return []
    ids = sorted({chunk.document_id for chunk, *_ in rows})
    documents = list(session.exec(select(Document).where(col(Document.id).in_(ids))))
    entries = {e.id: e for e in entries_of(session, documents)}
    checks = parse_filters(filters, load_glossary(session))
    past = []
    for chunk, number, title, meta in rows:
        current = entries[chunk.document_id]
        level = version_confidentiality(current.confidentiality, meta)
        entry = dataclasses.replace(current, version=number, title=title, confidentiality=level)
        if entry.visible_to(viewer) and all(check(entry) for check in checks):
            past.append(PastChunk(chunk, entry))
    return past


def rank_past(
    past: list[PastChunk],
    query: str,
    *,
    mode: str,
    embedder: Embedder,
    query_vector: np.ndarray | None,
    alpha: float,
    session: Session,
    candidates: int,
    groups: Sequence[SynonymGroup] = (),
) -> list[tuple[int, float]]:
    """Fused (chunk id, score) over past chunks, scored like a normal search: the query's
    translations (`groups`) count on the keyword side, and chunks in a language the model
    cannot read are ranked by keyword alone."""
    keyword: list[tuple[int, float]] = []
    semantic: list[tuple[int, float]] = []
    if mode != "semantic":
        keyword = past_keyword_index(past).search(tokenize(query), candidates, groups=groups)
    if query_vector is not None:
        semantic = _cosine_ranking(past, query_vector, embedder.model_id, session, candidates)
    if mode == "keyword" or query_vector is None:
        return one_signal(keyword)
    if mode == "semantic":
        return one_signal(semantic)
    languages = embedder.languages
    unreadable = frozenset(
        p.chunk.id
        for p in past
        if p.chunk.id is not None and languages is not None and p.entry.language not in languages
    )
    return convex_combination(keyword, semantic, alpha, keyword_only=unreadable)


PAST_INDEXES_KEPT = 8  # keyword indexes over past chunks, one per distinct set searched
_past_indexes: OrderedDict[tuple[tuple[int, str], ...], KeywordIndex] = OrderedDict()
_past_indexes_lock = threading.Lock()


def past_keyword_index(past: list[PastChunk]) -> KeywordIndex:
    """A BM25 index over these past chunks, built once per distinct set (the same history
    search again, or another user's with the same filters, reuses it) from tokens that are
    themselves kept per text: tokenising thousands of chunks per query took about a second."""
    key = tuple((p.chunk.id, p.entry.title) for p in past if p.chunk.id is not None)
    with _past_indexes_lock:
        if key in _past_indexes:
            _past_indexes.move_to_end(key)
            return _past_indexes[key]
    index = KeywordIndex()
    index.add(
        (p.chunk.id, list(_tokens(keyword_text(p.entry.title, p.chunk))))
        for p in past
        if p.chunk.id is not None
    )
    with _past_indexes_lock:
        _past_indexes[key] = index
        while len(_past_indexes) > PAST_INDEXES_KEPT:
            _past_indexes.popitem(last=False)
    return index


@lru_cache(maxsize=100_000)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


def _cosine_ranking(
    past: list[PastChunk], query: np.ndarray, model: str, session: Session, candidates: int
) -> list[tuple[int, float]]:
    vectors = load_vectors(session, model, (p.chunk.content_hash for p in past))
    scored = [p for p in past if p.chunk.content_hash in vectors and p.chunk.id is not None]
    if not scored:
        return []
    matrix = np.vstack([vectors[p.chunk.content_hash] for p in scored])
    similarity = matrix @ query
    order = np.argsort(-similarity)[:candidates]
    return [(int(scored[i].chunk.id or 0), float(similarity[i])) for i in order]
