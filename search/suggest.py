"""Reuse suggestions for the proposal tool: whole proposal sections and whole Q&A answers.

Candidates come from `SearchService.rank_chunks` restricted to the kinds asked for (`proposal`
and `qa`), to sections of the type asked for, and to what the caller may see, each with a match
strength (`similarities`) from its keyword and semantic scores. Chunks roll up to their unit of
reuse (kb.units: a section, or a Q&A), which takes its best chunk's match; units under MIN_MATCH
are noise and left out, so a request nothing answers well gets no suggestions and a reason. Each
unit is scored by `suggestion_score` (search/suggestion_score.py); Q&A that say the same thing
are grouped under one canonical answer (search/answers.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.access import Viewer
from kb.answers import is_approved
from kb.errors import InvalidInput
from kb.freshness import Freshness, freshness_of
from kb.models import Chunk, Document, Person, keyword_text
from kb.reuse import ReuseStats, reuse_stats
from kb.sections import HEADING_SEPARATOR, resolve_section_type
from kb.units import Unit, unit_depth, unit_of
from kb.vocabulary import Kind, Outcome, SuggestedKind
from search.answers import group_answers
from search.catalog import SECTION_FILTER
from search.generation import Generation
from search.service import SearchService
from search.suggestion_score import Signals, context_match, suggestion_score
from search.tokenize import tokenize

SUGGESTED_KINDS = [kind.value for kind in SuggestedKind]
CANDIDATES = 60
PER_DOCUMENT = 2  # at most this many sections of one document, so suggestions vary
# Below this match a candidate is noise, not a suggestion (bench/eval_suggestions.py: relevant
# units of the judged drafts match 0.50 or more; requests nothing answers stay under 0.2).
MIN_MATCH = 0.2


@dataclass(frozen=True)
class SuggestionQuery:
    text: str
    top_k: int = 5
    # {field name: values} of the vocabulary's context fields (requested_context)
    context: dict[str, list[str]] = field(default_factory=dict)
    section: str | None = None  # section type: a name (solution) or heading (解决方案, Solution)
    kinds: list[str] = field(default_factory=list)  # proposal and/or qa; none: both


@dataclass
class Suggestion:
    chunk: Chunk  # the unit's best-matching chunk
    document: Document
    depth: int  # the unit: headings of the chunk's path it spans (kb.units)
    freshness: Freshness
    reuse: ReuseStats
    bid_outcome: str | None
    match: float
    score: float
    approved: bool = False
    unit: Unit | None = None  # filled in for the suggestions returned
    also_in: list[Suggestion] = field(default_factory=list)  # the same answer elsewhere

    @property
    def key(self) -> tuple[int, int, tuple[str, ...]]:
        path = tuple(self.chunk.heading_path.split(HEADING_SEPARATOR))[: self.depth]
        return (self.document.id or 0, self.chunk.version_id, path)

    def as_dict(self) -> dict[str, Any]:
        document, unit = self.document, self.unit
        assert unit is not None
        return {
            "ref": unit.ref,
            "chunk_id": self.chunk.id,
            "chunk_ids": [c.id for c in unit.chunks],
            "document_id": document.id,
            "source_id": document.source_id,
            "title": document.title,
            "kind": document.kind,
            "version": unit.version,
            "section": unit.heading_path,
            "section_type": unit.section_type,
            "text": unit.text,
            "complete": unit.complete,
            "subsections": unit.subsections,
            "question": document.meta.get("question"),
            "approved": self.approved,
            "also_in": [_elsewhere(other) for other in self.also_in],
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


@dataclass
class Suggestions:
    suggestions: list[Suggestion]
    reason: str | None = None  # why there are none


def suggest(
    service: SearchService,
    session: Session,
    query: SuggestionQuery,
    *,
    viewer: Viewer | None,
    now: datetime,
    due_soon_days: int = 14,
) -> Suggestions:
    """The best `top_k` units of reuse for `query`, or none and the reason."""
    generation = service.indexes.generation()
    similarity = similarities(
        service,
        session,
        query.text,
        viewer=viewer,
        candidates=max(CANDIDATES, query.top_k * 10),
        filters=candidate_filters(query),
        generation=generation,
    )
    candidates = _candidates(generation, session, query, similarity, now, due_soon_days)
    strong = [s for s in candidates if s.match >= MIN_MATCH]
    if not strong:
        return Suggestions([], _no_match_reason(candidates))
    ordered = sorted(group_answers(strong), key=_rank)
    chosen = _varied(ordered, query.top_k)
    for suggestion in chosen:
        suggestion.unit = unit_of(session, suggestion.document, suggestion.chunk, suggestion.depth)
    return Suggestions(chosen)


def _candidates(
    generation: Generation,
    session: Session,
    query: SuggestionQuery,
    similarity: dict[int, float],
    now: datetime,
    due_soon_days: int,
) -> list[Suggestion]:
    """One candidate per unit of reuse, from its best-matching chunk."""
    chunks, documents = _load(session, similarity)
    active = _active_people(session, (d.owner for d in documents.values()))
    stats = reuse_stats(session, list(documents))
    best: dict[tuple[int, int, tuple[str, ...]], Suggestion] = {}
    for chunk_id, match in similarity.items():
        chunk = chunks.get(chunk_id)
        document = documents.get(chunk.document_id) if chunk else None
        if chunk is None or document is None or document.id is None:
            continue
        fresh = freshness_of(
            document, now=now, owner_active=document.owner in active, due_soon_days=due_soon_days
        )
        entry = generation.document(document.id)
        outcome = entry.outcome if entry else None
        used = stats.get(document.id, ReuseStats())
        approved = is_approved(document)
        signals = Signals(
            similarity=match,
            freshness=fresh.score,
            reviewed=approved or (document.kind != Kind.qa and document.reviewed_at is not None),
            reuse_count=used.reuse_count,
            won=used.won + (outcome == Outcome.won),
            lost=used.lost + (outcome == Outcome.lost),
            context=context_match(query.context, document.meta, generation.catalog.glossary),
        )
        found = Suggestion(
            chunk,
            document,
            unit_depth(document, chunk),
            fresh,
            used,
            outcome,
            match,
            suggestion_score(signals),
            approved,
        )
        if found.key not in best or found.score > best[found.key].score:
            best[found.key] = found
    return list(best.values())


def _rank(suggestion: Suggestion) -> tuple[float, bool, float, int]:
    """Best score first; among equals, approved answers first."""
    return (
        -round(suggestion.score, 4),
        not suggestion.approved,
        -suggestion.match,
        suggestion.chunk.id or 0,
    )


def _no_match_reason(candidates: list[Suggestion]) -> str:
    if not candidates:
        return "no good match: nothing kb holds of the kinds and section type asked for matches"
    best = max(s.match for s in candidates)
    return (
        f"no good match: the closest candidate matches {best:.2f}, under the {MIN_MATCH} "
        "below which kb does not suggest"
    )


def _elsewhere(other: Suggestion) -> dict[str, Any]:
    document = other.document
    return {
        "document_id": document.id,
        "source_id": document.source_id,
        "title": document.title,
        "approved": other.approved,
        "last_verified": other.freshness.last_verified,
    }


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


def similarities(
    service: SearchService,
    session: Session,
    text: str,
    *,
    viewer: Viewer | None,
    candidates: int,
    filters: dict[str, Any] | None = None,
    generation: Generation | None = None,
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
        generation=generation,
    )
    assert scores.generation is not None
    lexical = _lexical(scores.generation, session, text, scores.keyword)
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
    generation: Generation, session: Session, text: str, keyword: list[tuple[int, float]]
) -> dict[int, float]:
    best = max((score for _, score in keyword), default=0.0)
    if best <= 0:
        return {}
    weights = {t: count * generation.idf(t) for t, count in Counter(tokenize(text)).items()}
    total = sum(weights.values()) or 1.0
    chunks, _ = _load(session, (chunk_id for chunk_id, _ in keyword))
    found: dict[int, float] = {}
    for chunk_id, score in keyword:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        entry = generation.document(chunk.document_id)
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
