"""Request and response shapes (named like the FastAPI template: `XCreate`, `XUpdate`, `XPublic`).

Requests forbid unknown fields, so a misspelt field is a 422 that names it rather than a value
silently dropped.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from search.service import SearchHit

Kind = Literal["product_note", "competitor_intel", "proposal", "bid_result", "qa"]
Confidentiality = Literal["public", "internal", "confidential"]
Outcome = Literal["won", "lost", "withdrawn", "pending"]
Role = Literal["reader", "contributor", "manager", "service"]
Mode = Literal["hybrid", "semantic", "keyword"]

MAX_TEXT_CHARS = 2_000_000
MAX_QUERY_CHARS = 2000
MAX_DRAFT_CHARS = 20_000


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- documents ------------------------------------------------------------------------------
class DocumentFields(Request):
    """The metadata fields front matter takes (see docs/format.md)."""

    language: Literal["zh", "en"] | None = None
    owner: str | None = Field(None, max_length=200)
    confidentiality: Confidentiality | None = None
    status: Literal["active", "archived"] | None = None
    products: list[str] | None = None
    competitors: list[str] | None = None
    competitor: str | None = None
    industry: str | None = None
    customer: str | None = None
    tags: list[str] | None = None
    grants: list[str] | None = Field(
        None,
        description="people (`li.na`) or teams (`team:华东售前`) who may see a "
        "confidential document",
    )
    review_interval_days: PositiveInt | None = None
    updated: date | None = None
    source: str | None = None
    observed: date | None = None
    bid: str | None = None
    outcome: Outcome | None = None
    amount: float | None = None
    decision_date: date | None = None
    reasons: list[str] | None = None
    question: str | None = None
    answer: str | None = None
    change_note: str | None = Field(None, max_length=2000)


class DocumentCreate(DocumentFields):
    """A contributed document; the caller is its author and, unless `owner` says otherwise,
    its owner."""

    id: str | None = Field(
        None, max_length=300, description="stable source id; default api/<slug>-<uuid>"
    )
    title: str = Field(min_length=1, max_length=500)
    kind: Kind
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="Markdown or plain")


class DocumentUpdate(DocumentFields):
    """A new version from `base_version`; fields left out keep their values, null clears one."""

    base_version: int = Field(ge=1)
    title: str | None = Field(None, min_length=1, max_length=500)
    kind: Kind | None = None
    text: str | None = Field(None, min_length=1, max_length=MAX_TEXT_CHARS)

    @model_validator(mode="after")
    def _required_not_null(self) -> DocumentUpdate:
        for name in ("title", "kind", "text"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null (leave it out to keep it)")
        return self


class NearDuplicate(BaseModel):
    document_id: int
    source_id: str
    title: str
    section: str
    similarity: float


class DocumentSaved(BaseModel):
    id: int
    source_id: str
    version: int
    kind: str
    title: str
    changed: bool
    near_duplicates: list[NearDuplicate] = Field(
        default_factory=list,
        description="existing documents very like this one (KB_NEAR_DUPLICATE_THRESHOLD): "
        "update one of them instead?",
    )


class DocumentUploaded(BaseModel):
    documents: list[DocumentSaved]


class DocumentPublic(BaseModel):
    id: int
    source_id: str
    kind: str
    title: str
    language: str
    owner: str | None
    status: str
    confidentiality: str
    version: int
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    content_date: datetime | None
    reviewed_at: datetime | None
    viewed_at: datetime | None


class DocumentDetail(DocumentPublic):
    text: str
    author: str | None
    change_note: str | None


class DocumentsPublic(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[DocumentPublic]


class VersionPublic(BaseModel):
    number: int
    title: str
    author: str | None
    change_note: str | None
    created_at: datetime
    content_hash: str


class VersionDetail(VersionPublic):
    document_id: int
    text: str
    metadata: dict[str, Any]


class VersionsPublic(BaseModel):
    document_id: int
    source_id: str
    current_version: int
    versions: list[VersionPublic]


class DiffPublic(BaseModel):
    document_id: int
    from_version: int
    to_version: int
    diff: str


class StatusChanged(BaseModel):
    id: int
    status: str
    changed: bool


# -- search and suggestions -----------------------------------------------------------------
class SearchRequest(Request):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: int | None = Field(None, ge=1, le=200)
    mode: Mode = "hybrid"
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    history: bool = Field(False, description="also search past versions and archived documents")


class SearchResults(BaseModel):
    results: list[SearchHit]


class SuggestionRequest(Request):
    text: str = Field(
        min_length=1, max_length=MAX_DRAFT_CHARS, description="a draft section or an RFP question"
    )
    top_k: int = Field(5, ge=1, le=50)
    customer: str | None = None
    industry: str | None = None
    products: list[str] = Field(default_factory=list)
    competitor: str | None = None
    section: str | None = Field(None, description="section type, e.g. 解决方案 or Solution")


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


# -- reuse and bids -------------------------------------------------------------------------
class ReuseCreate(Request):
    """Either `chunk_id` (its document and version follow) or `document_id` (+ `version`)."""

    chunk_id: int | None = None
    document_id: int | str | None = None
    version: int | None = Field(None, ge=1)
    proposal_ref: str = Field(min_length=1, max_length=200)
    bid_ref: str | None = Field(None, min_length=1, max_length=200)
    user: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_target(self) -> ReuseCreate:
        if self.chunk_id is None and self.document_id is None:
            raise ValueError("give chunk_id or document_id")
        return self


class ReusePublic(BaseModel):
    id: int
    at: datetime
    chunk_id: int | None
    document_id: int
    version: int
    proposal_ref: str
    bid_ref: str | None
    user: str | None
    recorded_by: str | None


class OutcomeCreate(Request):
    outcome: Outcome


class BidPublic(BaseModel):
    ref: str
    outcome: str
    recorded_at: datetime
    recorded_by: str | None


# -- people ---------------------------------------------------------------------------------
class UserCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    team: str | None = Field(None, max_length=100)
    display_name: str | None = Field(None, max_length=200)


class UserPublic(BaseModel):
    name: str
    role: str
    team: str | None
    display_name: str | None
    disabled: bool
    created_at: datetime


class UserCreated(UserPublic):
    token: str = Field(description="the bearer token; shown this once, only its hash is kept")


class UsersPublic(BaseModel):
    items: list[UserPublic]
