"""Search: the one function the CLI, the API and the benchmarks call."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from kb.access import Viewer
from kb.clock import UtcDatetime
from kb.errors import InvalidInput
from kb.language import detect_language
from kb.models import Chunk
from kb.vocabulary import Confidentiality, Kind, Language, Mode, values
from search.catalog import DocEntry
from search.dictionary import cedict
from search.fusion import convex_combination, one_signal
from search.generation import Generation
from search.history import past_chunks, rank_past
from search.indexer import SearchIndexes
from search.snippet import make_snippet, query_terms
from search.tokenize import tokenize
from search.translation import Expansion, QueryTranslator, TranslatedQuery

MAX_QUERY_CHARS = 2000
MAX_TOP_K = 200
CANDIDATES = 200  # per signal; 500 scored the same on SciFact train (0.7344 vs 0.7338)


@dataclass
class SearchHit:
    document_id: int
    source_id: str
    title: str
    kind: Kind
    version: int
    chunk_id: int
    section: str
    snippet: str
    score: float
    owner: str | None
    language: Language
    updated_at: UtcDatetime
    confidentiality: Confidentiality
    current: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated_at"] = self.updated_at.isoformat()
        return data


@dataclass
class ChunkScores:
    """Ranked chunk ids per signal, for one query (used by search and suggestions).

    `keyword` holds raw BM25 scores, `semantic` raw cosines (empty when the model was not used),
    `fused` the ranking of the requested mode."""

    keyword: list[tuple[int, float]]
    semantic: list[tuple[int, float]]
    fused: list[tuple[int, float]]
    query_vector: np.ndarray | None = None
    generation: Generation | None = None  # the search state the scores come from


@dataclass
class Ranking:
    """A query's results in order, as (best chunk id, score, document entry), one per document
    (per version with history); `chunks` holds past versions' chunks already loaded."""

    query: str
    results: list[tuple[int, float, DocEntry]]
    generation: Generation  # the one search state the ranking was read from
    chunks: dict[int, Chunk] = field(default_factory=dict)


class SearchService:
    def __init__(
        self,
        indexes: SearchIndexes,
        *,
        alpha: float,
        default_top_k: int = 10,
        translate: bool = True,
        observe: Callable[[str, float], None] | None = None,
    ) -> None:
        self.indexes = indexes
        self.observe = observe  # called with (mode, seconds) after each search
        self.alpha = alpha
        self.default_top_k = default_top_k
        self.translate = translate
        self._translator: QueryTranslator | None = None

    def expansions(self, query: str, mode: str = "hybrid") -> list[Expansion]:
        """The translations a keyword search of `query` also looks for (none when translation
        is off or the mode has no keyword side)."""
        return list(self._translation(query, mode).expansions)

    def _translation(
        self, query: str, mode: str, generation: Generation | None = None
    ) -> TranslatedQuery:
        if not self.translate or mode == Mode.semantic:
            return TranslatedQuery()
        glossary = (generation or self.indexes.generation()).catalog.glossary
        if self._translator is None or self._translator.glossary is not glossary:
            self._translator = QueryTranslator(glossary, cedict())
        return self._translator.translate(query)

    def search(
        self,
        query: str,
        *,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Mapping[str, Any] | None = None,
        viewer: Viewer | None = None,
        history: bool = False,
        min_seq: int | None = None,
    ) -> list[SearchHit]:
        """Best documents first, each with its best chunk. Only current versions of active
        documents, unless `history` asks for past versions and archived documents too (each
        version then counts as its own result). `min_seq`: first wait (bounded) until this
        replica has applied that change of the log (a write's `seq`: read your writes)."""
        started = time.perf_counter()
        ranking = self.rank(
            query,
            top_k=top_k,
            mode=mode,
            filters=filters,
            viewer=viewer,
            history=history,
            min_seq=min_seq,
        )
        hits = self.hits(ranking, ranking.results)
        if self.observe is not None:
            self.observe(mode, time.perf_counter() - started)
        return hits

    def rank(
        self,
        query: str,
        *,
        top_k: int | None = None,
        mode: str = "hybrid",
        filters: Mapping[str, Any] | None = None,
        viewer: Viewer | None = None,
        history: bool = False,
        min_seq: int | None = None,
    ) -> Ranking:
        """The ranking `search` returns, before snippets are made: a page can count facets
        over all of it and make hits (`hits`) only for the results it shows."""
        top_k = self._check(query, top_k, mode)
        candidates = max(CANDIDATES, top_k * 5)
        filters = filters or {}
        generation = self.indexes.generation(min_seq)
        scores = self.rank_chunks(
            query,
            mode=mode,
            filters=filters,
            viewer=viewer,
            candidates=candidates,
            generation=generation,
        )
        ranked = self._with_entries(generation, scores.fused, top_k if not history else None)
        chunks: dict[int, Chunk] = {}
        if history:
            ranked += self._rank_past(query, mode, filters, viewer, scores, candidates, chunks)
            ranked.sort(key=lambda item: -item[1])
        best: dict[tuple[int, int], tuple[int, float, DocEntry]] = {}
        for chunk_id, score, entry in ranked:
            best.setdefault((entry.id, entry.version), (chunk_id, score, entry))
        return Ranking(query, list(best.values())[:top_k], generation, chunks)

    def hits(self, ranking: Ranking, results: list[tuple[int, float, DocEntry]]) -> list[SearchHit]:
        """Search hits (with snippets) for these results of `ranking`."""
        return self._hits(ranking.generation, ranking.query, results, ranking.chunks)

    def _with_entries(
        self, generation: Generation, fused: list[tuple[int, float]], documents: int | None
    ) -> list[tuple[int, float, DocEntry]]:
        """(chunk, score, its document) best first, stopping once `documents` distinct
        documents are covered (None: all). A chunk the catalog does not hold is skipped."""
        ranked: list[tuple[int, float, DocEntry]] = []
        seen: set[int] = set()
        for chunk_id, score in fused:
            entry = generation.document_of(chunk_id)
            if entry is None:
                continue
            ranked.append((chunk_id, score, entry))
            seen.add(entry.id)
            if documents is not None and len(seen) >= documents:
                break
        return ranked

    def _rank_past(
        self,
        query: str,
        mode: str,
        filters: Mapping[str, Any],
        viewer: Viewer | None,
        scores: ChunkScores,
        candidates: int,
        chunks: dict[int, Chunk],
    ) -> list[tuple[int, float, DocEntry]]:
        with Session(self.indexes.engine) as session:
            past = past_chunks(session, filters, viewer)
            ranking = rank_past(
                past,
                query,
                mode=mode,
                embedder=self.indexes.embedder,
                query_vector=scores.query_vector,
                alpha=self.alpha,
                session=session,
                candidates=candidates,
                groups=self._translation(query, mode, scores.generation).groups,
            )
        by_id = {p.chunk.id: p for p in past}
        chunks.update((chunk_id, by_id[chunk_id].chunk) for chunk_id, _ in ranking)
        return [(chunk_id, score, by_id[chunk_id].entry) for chunk_id, score in ranking]

    def rank_chunks(
        self,
        query: str,
        *,
        mode: str,
        filters: Mapping[str, Any],
        viewer: Viewer | None,
        candidates: int,
        generation: Generation | None = None,
    ) -> ChunkScores:
        """Chunk ids with fused scores, best first, restricted to what the viewer may see,
        from `generation` (default: the current one)."""
        generation = generation or self.indexes.generation()
        use_semantic = mode == "semantic" or (mode == "hybrid" and self._model_reads(query))
        tokens = tokenize(query) if mode != "semantic" else []
        groups = self._translation(query, mode, generation).groups if tokens else ()
        vector = self.indexes.embedder.encode_query(query) if use_semantic else None
        allowed = generation.allowed_chunks(filters, viewer)
        keyword = generation.keyword_search(tokens, candidates, allowed, groups)
        semantic = (
            generation.vector_search(vector, candidates, allowed) if vector is not None else []
        )
        if mode == "semantic":
            fused = one_signal(semantic)
        elif not use_semantic:
            fused = one_signal(keyword)
        else:
            unreadable = self._unreadable(generation, keyword, semantic)
            fused = convex_combination(keyword, semantic, self.alpha, keyword_only=unreadable)
        return ChunkScores(keyword, semantic, fused, vector, generation)

    def _unreadable(
        self, generation: Generation, *rankings: list[tuple[int, float]]
    ) -> frozenset[int]:
        """Chunks of documents in a language the model cannot read: their cosines are noise, so
        hybrid ranks them by keyword alone (a Chinese document found by a translated English
        query is not pushed down by the English model's view of it)."""
        languages = self.indexes.embedder.languages
        if languages is None:
            return frozenset()
        return frozenset(
            chunk_id
            for ranking in rankings
            for chunk_id, _ in ranking
            if (doc := generation.document_of(chunk_id)) is not None
            and doc.language not in languages
        )

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
        if mode not in values(Mode):
            raise InvalidInput(f"unknown mode '{mode}'; use one of {', '.join(values(Mode))}")
        top_k = self.default_top_k if top_k is None else top_k
        if not 1 <= top_k <= MAX_TOP_K:
            raise InvalidInput(f"top_k must be between 1 and {MAX_TOP_K} (got {top_k})")
        return top_k

    def _hits(
        self,
        generation: Generation,
        query: str,
        ranked: list[tuple[int, float, DocEntry]],
        chunks: dict[int, Chunk],
    ) -> list[SearchHit]:
        missing = [chunk_id for chunk_id, _, _ in ranked if chunk_id not in chunks]
        if missing:
            with Session(self.indexes.engine) as session:
                chunks.update(
                    (c.id, c)
                    for c in session.exec(select(Chunk).where(col(Chunk.id).in_(missing)))
                    if c.id is not None
                )
        terms = query_terms(query)
        return [
            SearchHit(
                document_id=doc.id,
                source_id=doc.source_id,
                title=doc.title,
                kind=Kind(doc.kind),
                version=doc.version,
                chunk_id=chunk_id,
                section=chunks[chunk_id].heading_path,
                snippet=make_snippet(chunks[chunk_id].text, terms),
                score=round(float(score), 6),
                owner=doc.owner,
                language=Language(doc.language),
                updated_at=doc.updated_at,
                confidentiality=Confidentiality(doc.confidentiality),
                current=doc.version == _current_version(generation, doc),
                metadata=doc.meta,
            )
            for chunk_id, score, doc in ranked
            if chunk_id in chunks
        ]


def _current_version(generation: Generation, doc: DocEntry) -> int:
    live = generation.document(doc.id)
    return live.version if live is not None else -1
