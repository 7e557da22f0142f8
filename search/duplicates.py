"""Near-duplicates: current documents very similar to a new or updated one.

A warning for the contributor ("update that one instead?"), never a block. It reads one
generation of the search state (pass the write's `seq` so it holds the write). Two measures,
both on stored data (nothing is embedded):
- semantic, for text the embedding model reads: cosine of the chunks' stored vectors;
- lexical, for text it cannot read (Chinese, for the default English model): cosine of the
  chunks' keyword-token counts, over candidates the keyword index finds. A copy with light
  edits scores above 0.9; different documents on the same subject stay well below.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from kb.access import Viewer
from kb.embeddings import load_vectors
from kb.models import Chunk
from search.catalog import DocEntry
from search.generation import Generation
from search.indexer import SearchIndexes
from search.tokenize import tokenize

CANDIDATES_PER_CHUNK = 10


def near_duplicates(
    indexes: SearchIndexes,
    document_ids: Sequence[int],
    *,
    threshold: float,
    limit: int = 3,
    viewer: Viewer | None = None,
    min_seq: int | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """For each document id, the other current documents whose closest section reaches
    `threshold` cosine similarity, most similar first, at most `limit`:
    `{document_id: [{document_id, source_id, title, section, similarity}]}`.

    A document's similarity to another is the highest cosine between any of its current chunks
    and any of the other's; `section` is the heading path of the other's closest chunk.
    Documents in a language the embedding model cannot read are compared lexically (see the
    module docstring). Documents without near-duplicates or not active are left out.
    `viewer`, when given, hides documents that person may not see.
    """
    generation = indexes.generation(min_seq)
    languages = indexes.embedder.languages
    model = indexes.embedder.model_id
    visible = [doc for doc in generation.documents.values() if doc.visible_to(viewer)]
    readable = [d.id for d in visible if languages is None or d.language in languages]
    found: dict[int, list[dict[str, Any]]] = {}
    with Session(indexes.engine) as session:
        for document_id in dict.fromkeys(document_ids):
            entry = generation.document(document_id)
            if entry is None:
                continue
            if languages is None or entry.language in languages:
                allowed = _chunks_of(generation, readable)
                similar = _similar_documents(
                    session, generation, model, document_id, allowed, limit
                )
            else:
                allowed = _chunks_of(generation, [d.id for d in visible])
                similar = _lexically_similar(session, generation, document_id, allowed, limit)
            matches = [s for s in similar if s["similarity"] >= threshold][:limit]
            if matches:
                found[document_id] = matches
    return found


def _chunks_of(generation: Generation, document_ids: list[int]) -> np.ndarray | None:
    """The chunks of these documents; None when they are all the documents there are."""
    if len(document_ids) == len(generation.documents):
        return None
    chunks = [c for d in document_ids for c in generation.chunks_of(d)]
    return np.asarray(chunks, dtype=np.int64)


def near_duplicate_report(
    indexes: SearchIndexes, document_ids: Sequence[int], *, threshold: float, limit: int = 3
) -> list[dict[str, Any]]:
    """The same, as a list for reports: `[{document_id, source_id, title, similar: [...]}]`."""
    found = near_duplicates(indexes, document_ids, threshold=threshold, limit=limit)
    docs = indexes.generation().documents
    return [
        {
            "document_id": doc_id,
            "source_id": docs[doc_id].source_id,
            "title": docs[doc_id].title,
            "similar": similar,
        }
        for doc_id, similar in found.items()
        if doc_id in docs
    ]


def _similar_documents(
    session: Session,
    generation: Generation,
    model: str,
    document_id: int,
    allowed: np.ndarray | None,
    limit: int,
) -> list[dict[str, Any]]:
    if generation.vector_count == 0:
        return []
    own = generation.chunks_of(document_id)
    own_vectors = _vectors(session, model, own)
    if own_vectors is None:
        return []
    return _nearest_by_vectors(session, generation, model, own_vectors, set(own), allowed, limit)


def _nearest_by_vectors(
    session: Session,
    generation: Generation,
    model: str,
    own_vectors: np.ndarray,
    own_set: set[int],
    allowed: np.ndarray | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Other documents by the best cosine between any of `own_vectors` and their chunks."""
    wanted = max(CANDIDATES_PER_CHUNK, 4 * limit) + len(own_set)
    candidates: set[int] = set()
    for vector in own_vectors:
        hits = generation.vector_search(vector, wanted, allowed)
        candidates.update(int(c) for c, _ in hits if int(c) not in own_set)
    if not candidates:
        return []
    rows = _chunk_rows(session, candidates)
    other_vectors = load_vectors(session, model, (h for _, h, _ in rows))
    rows = [row for row in rows if row[1] in other_vectors]
    if not rows:
        return []
    matrix = _normalised(np.vstack([other_vectors[h] for _, h, _ in rows]))
    best = (own_vectors @ matrix.T).max(axis=0)
    return _best_per_document(generation, rows, best)


def _lexically_similar(
    session: Session,
    generation: Generation,
    document_id: int,
    allowed: np.ndarray | None,
    limit: int,
) -> list[dict[str, Any]]:
    own_ids = generation.chunks_of(document_id)
    own = [_token_counts(chunk) for chunk in _chunks(session, own_ids)]
    return _nearest_by_tokens(session, generation, own, set(own_ids), allowed, limit)


def _nearest_by_tokens(
    session: Session,
    generation: Generation,
    own: list[Counter[str]],
    own_set: set[int],
    allowed: np.ndarray | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Other documents by the best cosine of keyword-token counts with any of `own`."""
    wanted = max(CANDIDATES_PER_CHUNK, 4 * limit) + len(own_set)
    candidates: set[int] = set()
    for counts in own:
        hits = generation.keyword_search(list(counts.elements()), wanted, allowed)
        candidates.update(int(c) for c, _ in hits if int(c) not in own_set)
    others = _chunks(session, candidates)
    scores = np.asarray(
        [
            max((_cosine(mine, _token_counts(other)) for mine in own), default=0.0)
            for other in others
        ]
    )
    rows = [(int(c.id or 0), c.content_hash, c.heading_path) for c in others]
    return _best_per_document(generation, rows, scores) if rows else []


def unsaved_near_duplicates(
    indexes: SearchIndexes,
    sections: Sequence[tuple[str, str]],
    *,
    language: str,
    threshold: float,
    limit: int = 3,
    viewer: Viewer | None = None,
) -> list[dict[str, Any]]:
    """The same check for text not stored yet (a form about to be saved): `sections` are
    (embedding text, heading path + text) of its chunks, measured as `near_duplicates` measures
    a stored document (the model embeds them here; nothing is written)."""
    generation = indexes.generation()
    languages = indexes.embedder.languages
    model = indexes.embedder.model_id
    visible = [doc for doc in generation.documents.values() if doc.visible_to(viewer)]
    if not sections or not visible:
        return []
    with Session(indexes.engine) as session:
        if languages is None or language in languages:
            if generation.vector_count == 0:
                return []
            readable = [d.id for d in visible if languages is None or d.language in languages]
            allowed = _chunks_of(generation, readable)
            own_vectors = _normalised(indexes.embedder.encode([e for e, _ in sections]))
            similar = _nearest_by_vectors(
                session, generation, model, own_vectors, set(), allowed, limit
            )
        else:
            allowed = _chunks_of(generation, [d.id for d in visible])
            own = [Counter(tokenize(text)) for _, text in sections]
            similar = _nearest_by_tokens(session, generation, own, set(), allowed, limit)
    return [s for s in similar if s["similarity"] >= threshold][:limit]


def _chunks(session: Session, chunk_ids: Iterable[int]) -> list[Chunk]:
    ids = list(chunk_ids)
    return list(session.exec(select(Chunk).where(col(Chunk.id).in_(ids)))) if ids else []


def _token_counts(chunk: Chunk) -> Counter[str]:
    return Counter(tokenize(f"{chunk.heading_path}\n{chunk.text}"))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[token] for token, count in a.items() if token in b)
    norms = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norms if norms else 0.0


def _vectors(session: Session, model: str, chunk_ids: Iterable[int]) -> np.ndarray | None:
    rows = _chunk_rows(session, chunk_ids)
    stored = load_vectors(session, model, (h for _, h, _ in rows))
    vectors = [stored[h] for _, h, _ in rows if h in stored]
    return _normalised(np.vstack(vectors)) if vectors else None


def _chunk_rows(session: Session, chunk_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """(chunk id, content hash, heading path) of these chunks."""
    ids = list(chunk_ids)
    if not ids:
        return []
    query = select(Chunk.id, Chunk.content_hash, Chunk.heading_path).where(col(Chunk.id).in_(ids))
    return [(int(cid or 0), h, path) for cid, h, path in session.exec(query)]


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def _best_per_document(
    generation: Generation, rows: list[tuple[int, str, str]], scores: np.ndarray
) -> list[dict[str, Any]]:
    best: dict[int, tuple[float, str, DocEntry]] = {}
    for (chunk_id, _, section), score in zip(rows, scores.tolist(), strict=True):
        entry = generation.document_of(chunk_id)
        if entry is not None and score > best.get(entry.id, (-2.0, "", entry))[0]:
            best[entry.id] = (score, section, entry)
    ranked = sorted(best.values(), key=lambda item: -item[0])
    return [
        {
            "document_id": entry.id,
            "source_id": entry.source_id,
            "title": entry.title,
            "section": section,
            "similarity": round(min(score, 1.0), 4),
        }
        for score, section, entry in ranked
    ]
