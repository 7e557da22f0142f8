"""Reuse suggestions for the proposal tool: proposal sections and Q&A answers worth reusing.

Candidates come from `SearchService.rank_chunks` restricted to kinds `proposal` and `qa` (and to
what the caller may see), with a match strength from their keyword and semantic scores. Each is
scored by `suggestion_score`, a pure function of its signals: similarity to the draft,
freshness, whether it was reviewed, how often it was reused, the outcomes of the bids it went
into, and how well it fits the request's context.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.access import Viewer
from kb.errors import InvalidInput
from kb.freshness import Freshness, freshness_of
from kb.models import Chunk, Document, Person, keyword_text
from kb.reuse import ReuseStats, reuse_stats
from kb.sections import resolve_section_type
from kb.vocabulary import Kind, has_value
from search.catalog import SECTION_FILTER
from search.service import SearchService
from search.tokenize import tokenize

SUGGESTED_KINDS = [Kind.proposal.value, Kind.qa.value]
CANDIDATES = 60
PER_DOCUMENT = 2  # at most this many sections of one document, so suggestions vary
# Weights of the quality signals (they sum to 1) and how far quality and context move a score.
FRESHNESS_WEIGHT = 0.45
OUTCOME_WEIGHT = 0.30
USAGE_WEIGHT = 0.15
REVIEWED_WEIGHT = 0.10
QUALITY_FLOOR = 0.7  # the worst content keeps 70% of its similarity, the best all of it
CONTEXT_BOOST = 0.2  # matching all of the request's context adds 20%
USAGE_HALF = 3  # reuses at which the usage signal reaches one half


@dataclass(frozen=True)
class Signals:
    similarity: float  # 0-1, to the request text
    freshness: float  # 0-100, kb.freshness score
    reviewed: bool = False  # an owner or manager has confirmed it (approved)
    reuse_count: int = 0
    won: int = 0  # won bids it was written for or reused in
    lost: int = 0
    context: float = 0.0  # 0-1, share of the request's context it matches


def suggestion_score(signals: Signals) -> float:
    """`similarity × (QUALITY_FLOOR + (1 - QUALITY_FLOOR) × quality) × (1 + CONTEXT_BOOST ×
    context)`, where quality (0-1) is the weighted sum of

    - freshness / 100;
    - outcome = (won + 1) / (won + lost + 2): the win rate, pulled towards one half while few
      bids are decided (0.5 with none, 0.67 after one win, 0.33 after one loss);
    - usage = reuse_count / (reuse_count + USAGE_HALF): proven content, with diminishing returns;
    - reviewed: 1 when confirmed by its owner or a manager.

    Similarity stays the main factor: quality can move a score by at most 30%, so a fresh,
    approved section from won bids beats an equally similar stale or lost one, but not a much
    better match.
    """
    outcome = (signals.won + 1) / (signals.won + signals.lost + 2)
    usage = signals.reuse_count / (signals.reuse_count + USAGE_HALF)
    quality = (
        FRESHNESS_WEIGHT * min(max(signals.freshness, 0.0), 100.0) / 100.0
        + OUTCOME_WEIGHT * outcome
        + USAGE_WEIGHT * usage
        + REVIEWED_WEIGHT * float(signals.reviewed)
    )
    weight = QUALITY_FLOOR + (1.0 - QUALITY_FLOOR) * quality
    return signals.similarity * weight * (1.0 + CONTEXT_BOOST * min(max(signals.context, 0.0), 1.0))


@dataclass(frozen=True)
class SuggestionQuery:
    text: str
    top_k: int = 5
    customer: str | None = None
    industry: str | None = None
    products: list[str] = field(default_factory=list)
    competitor: str | None = None
    section: str | None = None  # section type: a name (solution) or heading (解决方案, Solution)
    kinds: list[str] = field(default_factory=list)  # proposal and/or qa; none: both


@dataclass
class Suggestion:
    chunk: Chunk
    document: Document
    freshness: Freshness
    reuse: ReuseStats
    bid_outcome: str | None
    match: float
    score: float

    def as_dict(self) -> dict[str, Any]:
        document, chunk = self.document, self.chunk
        return {
            "chunk_id": chunk.id,
            "document_id": document.id,
            "source_id": document.source_id,
            "title": document.title,
            "kind": document.kind,
            "version": document.current_version,
            "section": chunk.heading_path,
            "section_type": chunk.section_type,
            "text": chunk.text,
            "question": document.meta.get("question"),
            "match": round(self.match, 4),
            "score": round(self.score, 4),
            "owner": document.owner,
            "freshness": {
                "status": self.freshness.status,
                "score": self.freshness.score,
                "due_at": self.freshness.due_at,
                "last_verified": self.freshness.last_verified,
            },
            "reuse": self.reuse.as_dict(),
            "bid_outcome": self.bid_outcome,
            "customer": document.meta.get("customer"),
            "industry": document.meta.get("industry"),
        }


def suggest(
    service: SearchService,
    session: Session,
    query: SuggestionQuery,
    *,
    viewer: Viewer | None,
    now: datetime,
    due_soon_days: int = 14,
) -> list[Suggestion]:
    """The best `top_k` reusable sections for `query`, one per (document, section)."""
    similarity = similarities(
        service,
        session,
        query.text,
        viewer=viewer,
        candidates=max(CANDIDATES, query.top_k * 10),
        filters=candidate_filters(query),
    )
    chunks, documents = _load(session, similarity)
    active = _active_people(session, (d.owner for d in documents.values()))
    stats = reuse_stats(session, list(documents))
    catalog = service.indexes.catalog
    best: dict[tuple[int, str], Suggestion] = {}
    for chunk_id, match in similarity.items():
        chunk = chunks.get(chunk_id)
        document = documents.get(chunk.document_id) if chunk else None
        if chunk is None or document is None or document.id is None:
            continue
        fresh = freshness_of(
            document, now=now, owner_active=document.owner in active, due_soon_days=due_soon_days
        )
        entry = catalog.docs.get(document.id)
        outcome = entry.outcome if entry else None
        used = stats.get(document.id, ReuseStats())
        signals = Signals(
            similarity=match,
            freshness=fresh.score,
            reviewed=document.reviewed_at is not None,
            reuse_count=used.reuse_count,
            won=used.won + (outcome == "won"),
            lost=used.lost + (outcome == "lost"),
            context=context_match(query, document, chunk),
        )
        found = Suggestion(chunk, document, fresh, used, outcome, match, suggestion_score(signals))
        key = (document.id, chunk.heading_path)
        if key not in best or found.score > best[key].score:
            best[key] = found
    ordered = sorted(best.values(), key=lambda s: (-s.score, -s.match, s.chunk.id or 0))
    return _varied(ordered, query.top_k)


def candidate_filters(query: SuggestionQuery) -> dict[str, Any]:
    """What candidates may be: the kinds asked for (default proposal sections and Q&A), and
    only sections of the type asked for. An unknown kind or section type is an error."""
    kinds = list(dict.fromkeys(k.strip().lower() for k in query.kinds)) or SUGGESTED_KINDS
    unknown = [k for k in kinds if k not in SUGGESTED_KINDS]
    if unknown:
        raise InvalidInput(f"unknown kind '{unknown[0]}'; use one of {', '.join(SUGGESTED_KINDS)}")
    if not query.section:
        return {"kind": kinds}
    if "proposal" not in kinds:
        raise InvalidInput("a section type names proposal sections; add 'proposal' to kinds")
    return {"kind": ["proposal"], SECTION_FILTER: resolve_section_type(query.section)}


def _load(
    session: Session, chunk_ids: Iterable[int]
) -> tuple[dict[int, Chunk], dict[int, Document]]:
    """The chunks and their documents, by id."""
    ids = list(chunk_ids)
    if not ids:
        return {}, {}
    chunks = {c.id or 0: c for c in session.exec(select(Chunk).where(col(Chunk.id).in_(ids)))}
    document_ids = {c.document_id for c in chunks.values()}
    found = session.exec(select(Document).where(col(Document.id).in_(document_ids)))
    return chunks, {d.id or 0: d for d in found}


def _varied(ordered: list[Suggestion], top_k: int) -> list[Suggestion]:
    """The first `top_k`, taking at most PER_DOCUMENT sections of any one document."""
    taken: dict[int, int] = {}
    chosen: list[Suggestion] = []
    for suggestion in ordered:
        document_id = suggestion.document.id or 0
        if taken.get(document_id, 0) < PER_DOCUMENT:
            taken[document_id] = taken.get(document_id, 0) + 1
            chosen.append(suggestion)
            if len(chosen) == top_k:
                break
    return chosen


def context_match(query: SuggestionQuery, document: Document, chunk: Chunk) -> float:
    """Share of the request's context (customer, industry, products, competitor) that the
    candidate matches; 0 when the request gives none. (The section type is a filter.)"""
    meta = document.meta
    wanted = {
        "customer": [query.customer] if query.customer else [],
        "industry": [query.industry] if query.industry else [],
        "products": query.products,
        "competitors": [query.competitor] if query.competitor else [],
    }
    checks = [has_value(meta, name, values) for name, values in wanted.items() if values]
    return sum(checks) / len(checks) if checks else 0.0


def similarities(
    service: SearchService,
    session: Session,
    text: str,
    *,
    viewer: Viewer | None,
    candidates: int,
    filters: dict[str, Any] | None = None,
) -> dict[int, float]:
    """Match strength (0-1) of candidate proposal and Q&A chunks, from `rank_chunks`:
    `alpha × cosine + (1 - alpha) × lexical`, or the lexical part alone when the model cannot
    read the text's language (its vectors would be noise).

    lexical = coverage × (1 + BM25 / best BM25) / 2, where coverage is the share of the
    request's keyword weight (idf) that the chunk holds. Coverage keeps the strength absolute:
    a chunk that shares only a common word with the request scores low even when it is the
    best there is. Search fuses min-max normalised scores instead, which is right for ordering
    but stretches any gap to the full 0-1 range.
    """
    scores = service.rank_chunks(
        text,
        mode="hybrid",
        filters=filters or {"kind": SUGGESTED_KINDS},
        viewer=viewer,
        candidates=candidates,
    )
    lexical = _lexical(service, session, text, scores.keyword)
    if not scores.semantic:
        return lexical
    dense = {chunk_id: min(max(score, 0.0), 1.0) for chunk_id, score in scores.semantic}
    floor = min(dense.values(), default=0.0)
    alpha = service.alpha
    return {
        chunk_id: alpha * dense.get(chunk_id, floor) + (1 - alpha) * lexical.get(chunk_id, 0.0)
        for chunk_id in {**lexical, **dense}
    }


def _lexical(
    service: SearchService, session: Session, text: str, keyword: list[tuple[int, float]]
) -> dict[int, float]:
    best = max((score for _, score in keyword), default=0.0)
    if best <= 0:
        return {}
    index, catalog = service.indexes.keyword, service.indexes.catalog
    with service.indexes.lock:
        weights = {t: count * index.idf(t) for t, count in Counter(tokenize(text)).items()}
    total = sum(weights.values()) or 1.0
    chunks, _ = _load(session, (chunk_id for chunk_id, _ in keyword))
    found: dict[int, float] = {}
    for chunk_id, score in keyword:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        entry = catalog.docs.get(chunk.document_id)
        held = set(tokenize(keyword_text(entry.title if entry else "", chunk)))
        coverage = sum(w for term, w in weights.items() if term in held) / total
        found[chunk_id] = coverage * (1.0 + score / best) / 2.0
    return found


def _active_people(session: Session, names: Iterable[str | None]) -> set[str]:
    wanted = {n for n in names if n}
    if not wanted:
        return set()
    people = session.exec(select(Person).where(col(Person.name).in_(wanted)))
    return {p.name for p in people if not p.disabled}
