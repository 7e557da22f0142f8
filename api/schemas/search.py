"""Search and reuse suggestions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool, StrictInt

from api.schemas.base import (
    MAX_DRAFT_CHARS,
    MAX_QUERY_CHARS,
    Request,
)
from kb.vocabulary import Mode
from search.service import SearchHit


class SearchRequest(Request):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: StrictInt | None = Field(None, ge=1, le=200)
    mode: Mode = Mode.hybrid
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    history: StrictBool = Field(
        False, description="also search past versions and archived documents"
    )


class SearchResults(BaseModel):
    results: list[SearchHit]


class SuggestionRequest(Request):
    text: str = Field(
        min_length=1, max_length=MAX_DRAFT_CHARS, description="a draft section or an RFP question"
    )
    top_k: StrictInt = Field(5, ge=1, le=50)
    customer: str | None = None
    industry: str | None = None
    products: list[str] = Field(default_factory=list)
    competitor: str | None = None
    section: str | None = Field(
        None,
        description="only proposal sections of this type: a name (solution) or a heading in "
        "either language (解决方案, Solution); an unknown type is a 422 listing the known ones",
    )
    kinds: list[str] = Field(
        default_factory=list, description='proposal and/or qa (default both), e.g. ["qa"]'
    )


class FreshnessPublic(BaseModel):
    status: str
    score: int
    due_at: datetime | None
    last_verified: datetime


class ReuseStatsPublic(BaseModel):
    reuse_count: int
    won: int
    lost: int
    win_rate: float | None


class SuggestionPublic(BaseModel):
    chunk_id: int
    document_id: int
    source_id: str
    title: str
    kind: str
    version: int
    section: str
    section_type: str | None = Field(description="a proposal section's type (kb.sections)")
    text: str
    question: str | None
    match: float = Field(description="similarity to the request text, 0-1")
    score: float = Field(description="ranking score: match weighted by quality and context")
    owner: str | None
    freshness: FreshnessPublic
    reuse: ReuseStatsPublic
    bid_outcome: str | None = Field(description="outcome of the bid the content was written for")
    customer: str | None
    industry: str | None


class SuggestionsPublic(BaseModel):
    suggestions: list[SuggestionPublic]
