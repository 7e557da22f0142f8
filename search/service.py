"""Search: the one function the CLI, the API and the benchmarks call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from kb.access import Viewer
from kb.errors import InvalidInput
from kb.language import detect_language
from kb.models import Chunk
from search.fusion import convex_combination, group_max
from search.indexer import SearchIndexes
from search.snippet import make_snippet
from search.tokenize import tokenize

Mode = Literal["hybrid", "semantic", "keyword"]
MODES = ("hybrid", "semantic", "keyword")
MAX_QUERY_CHARS = 2000
MAX_TOP_K = 200
CANDIDATES = 100


@dataclass
class SearchHit:
    document_id: int
    source_id: str
    title: str
    kind: str
    version: int
    chunk_id: int
    section: str
    snippet: str
    score: float
    owner: str | None
    language: str
    updated_at: datetime
    confidentiality: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat()
        return data


@dataclass
class ChunkScores:
    """Ranked chunk ids per signal, for one query (used by search and suggestions)."""

    fused: list[tuple[int, float]]
    semantic_used: bool


class SearchService:
    def __init__(self, indexes: SearchIndexes, *, alpha: float, default_top_k: int = 10) -> None:
        self.indexes = indexes
        self.alpha = alpha
        self.default_top_k = default_top_k

    def search(
        self,
        query: str,
        *,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Mapping[str, Any] | None = None,
        viewer: Viewer | None = None,
    ) -> list[SearchHit]:
        top_k = self._check(query, top_k, mode)
        scores = self.rank_chunks(
            query,
            mode=mode,
            filters=filters or {},
            viewer=viewer,
            candidates=max(CANDIDATES, top_k * 5),
        )
        catalog = self.indexes.catalog
        documents = group_max(scores.fused, catalog.chunk_doc)[:top_k]
        best_chunk = _best_chunk_per_doc(scores.fused, catalog.chunk_doc)
        return self._hits(query, [(best_chunk[doc_id], s) for doc_id, s in documents])

    def rank_chunks(
        self,
        query: str,
        *,
        mode: str,
        filters: Mapping[str, Any],
        viewer: Viewer | None,
        candidates: int,
    ) -> ChunkScores:
        """Chunk ids with fused scores, best first, restricted to what the viewer may see."""
        self.indexes.ensure_current()
        allowed = self.indexes.catalog.allowed_chunks(filters, viewer)
        keyword: list[tuple[int, float]] = []
        semantic: list[tuple[int, float]] = []
        if mode in ("hybrid", "keyword"):
            keyword = self.indexes.keyword.search(tokenize(query), candidates, allowed)
        use_semantic = mode == "semantic" or (mode == "hybrid" and self._model_reads(query))
        if use_semantic and len(self.indexes.vector) > 0:
            vector = self.indexes.embedder.encode_query(query)
            semantic = self.indexes.vector.search(vector, candidates, allowed)
        if mode == "keyword" or not use_semantic:
            return ChunkScores(keyword, False)
        if mode == "semantic":
            return ChunkScores(semantic, True)
        return ChunkScores(convex_combination(keyword, semantic, self.alpha), True)

    def _model_reads(self, query: str) -> bool:
        """False when the embedding model cannot read the query's language (its vectors are
        noise then, and would only drag good keyword results down)."""
        languages = self.indexes.embedder.languages
        return languages is None or detect_language(query) in languages

    def _check(self, query: str, top_k: int | None, mode: str) -> int:
        if not query or not query.strip():
            raise InvalidInput("query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"query is {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
        if mode not in MODES:
            raise InvalidInput(f"unknown mode '{mode}'; use one of {', '.join(MODES)}")
        top_k = self.default_top_k if top_k is None else top_k
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K} (got {top_k})")
        return top_k

    def _hits(self, query: str, ranked: list[tuple[int, float]]) -> list[SearchHit]:
        if not ranked:
            return []
        with Session(self.indexes.engine) as session:
            chunks = {
                c.id: c
                for c in session.exec(
                    select(Chunk).where(col(Chunk.id).in_([cid for cid, _ in ranked]))
                )
            }
        hits: list[SearchHit] = []
        for chunk_id, score in ranked:
            chunk = chunks.get(chunk_id)
            doc = self.indexes.catalog.docs.get(self.indexes.catalog.chunk_doc.get(chunk_id, -1))
            if chunk is None or doc is None:
                continue
            hits.append(
                SearchHit(
                    document_id=doc.id,
                    source_id=doc.source_id,
                    title=doc.title,
                    kind=doc.kind,
                    version=doc.version,
                    chunk_id=chunk_id,
                    section=chunk.heading_path,
                    snippet=make_snippet(chunk.text, query),
                    score=round(float(score), 6),
                    owner=doc.owner,
                    language=doc.language,
                    updated_at=doc.updated_at,
                    confidentiality=doc.confidentiality,
                    metadata=doc.meta,
                )
            )
        return hits


def _best_chunk_per_doc(
    ranking: list[tuple[int, float]], chunk_doc: Mapping[int, int]
) -> dict[int, int]:
    best: dict[int, int] = {}
    for chunk_id, _ in ranking:
        best.setdefault(chunk_doc.get(chunk_id, -1), chunk_id)
    return best
