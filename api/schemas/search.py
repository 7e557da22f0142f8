"""Search and reuse suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, create_model

from api.schemas.base import (
    MAX_DRAFT_CHARS,
    MAX_QUERY_CHARS,
    Request,
    SectionTypeNamed,
)
from kb.clock import UtcDatetime
from kb.vocabulary import (
    CONTEXT_FIELDS,
    Kind,
    MetadataField,
    Mode,
    Outcome,
    SectionType,
    SuggestedKind,
)
from search.service import SearchHit


class SearchRequest(Request):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: StrictInt | None = Field(None, ge=1, le=200)
    mode: Mode = Mode.hybrid
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    history: StrictBool = Field(
        False, description="also search past versions and archived documents"
    )
    min_seq: StrictInt | None = Field(
        None,
        ge=0,
        description="a write's `seq`: wait (a few seconds at most) until this replica has "
        "applied it, so the results include that write",
    )


class ExpansionPublic(BaseModel):
    """A query term the keyword search also looked for in other words (query translation)."""

    term: str
    source: str = Field(description="glossary or dictionary (CC-CEDICT)")
    translations: list[str]
    entry: str | None = Field(None, description="the glossary entry's canonical name")


class SearchResults(BaseModel):
    # Hits are dataclasses made by search/: validated again here so times carry their zone.
    model_config = ConfigDict(revalidate_instances="always")

    results: list[SearchHit]
    expansions: list[ExpansionPublic] = Field(
        default_factory=list, description="translations the keyword search used"
    )


class SuggestionText(Request):
    text: str = Field(
        min_length=1, max_length=MAX_DRAFT_CHARS, description="a draft section or an RFP question"
    )
    top_k: StrictInt = Field(5, ge=1, le=50)


def _context_param(field: MetadataField) -> tuple[Any, Any]:
    """A context field of the vocabulary as a request field: content whose field holds the
    value(s) ranks higher."""
    assert field.context is not None
    if field.context.many:
        return list[str], Field(
            default_factory=list, description=f"prefer content whose {field.name} name these"
        )
    return str | None, Field(None, description=f"prefer content whose {field.name} name it")


if TYPE_CHECKING:
    SuggestionContext = SuggestionText
else:
    SuggestionContext = create_model(
        "SuggestionContext",
        __base__=SuggestionText,
        __doc__="A suggestion request's text and context: one field per kb.vocabulary context "
        "field.",
        **{f.context.name: _context_param(f) for f in CONTEXT_FIELDS},
    )


class SuggestionRequest(SuggestionContext):
    section: SectionTypeNamed | None = Field(
        None,
        description="only proposal sections of this type: a name (solution) or a heading in "
        "either language (解决方案, Solution); an unknown type is a 422 listing the known ones",
    )
    kinds: list[SuggestedKind] = Field(
        default_factory=list, description='proposal and/or qa (default both), e.g. ["qa"]'
    )


class FreshnessPublic(BaseModel):
    status: Literal["fresh", "due_soon", "stale", "unowned"]
    score: int
    due_at: UtcDatetime | None
    last_verified: UtcDatetime


class ReuseStatsPublic(BaseModel):
    reuse_count: int
    won: int
    lost: int
    win_rate: float | None


class SubsectionPublic(BaseModel):
    section: str
    section_type: SectionType | None
    ref: str = Field(description="takes this subsection alone (a draft item's ref)")


class ElsewherePublic(BaseModel):
    document_id: int
    source_id: str
    title: str
    approved: bool
    last_verified: UtcDatetime


class SuggestionPublic(BaseModel):
    ref: str = Field(
        description="the unit of reuse, 'CHUNK:DEPTH' (its first chunk, headings it spans; 0 "
        "for a whole Q&A): a draft item's ref, and the chunk_id to report reuse with is CHUNK"
    )
    chunk_id: int = Field(description="the unit's best-matching chunk")
    chunk_ids: list[int] = Field(description="the unit's chunks, in order")
    document_id: int
    source_id: str
    title: str
    kind: Kind
    version: int
    section: str
    section_type: SectionType | None = Field(description="a proposal section's type")
    text: str = Field(description="the whole section or Q&A, its chunks in order")
    complete: bool = Field(
        description="false for a section too long to hold (kb.units.MAX_UNIT_CHARS): text is "
        "its lead, subsections lists the rest"
    )
    subsections: list[SubsectionPublic]
    question: str | None
    approved: bool = Field(description="a Q&A answer approved by its owner or a manager")
    also_in: list[ElsewherePublic] = Field(description="the same answer in other documents")
    match: float = Field(
        description="similarity to the request text, 0-1, the same scale for Chinese and "
        "English; suggestions stop below search.suggest.MIN_MATCH"
    )
    score: float = Field(description="ranking score: match weighted by quality and context")
    owner: str | None
    freshness: FreshnessPublic
    reuse: ReuseStatsPublic
    bid_outcome: Outcome | None = Field(
        description="outcome of the bid the content was written for"
    )
    customer: str | None
    industry: str | None


class SuggestionsPublic(BaseModel):
    suggestions: list[SuggestionPublic]
    reason: str | None = Field(None, description="why there are none (no good match)")
