"""Reuse, bids, people, reviews and hand-overs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    model_validator,
)

from api.schemas.base import Request
from kb.clock import UtcDatetime
from kb.freshness import AuditRow, Freshness, status_counts
from kb.handover import Handover
from kb.models import Person
from kb.review import MAX_NOTE_CHARS, Review
from kb.vocabulary import Kind, Outcome, Role, Status


class ReuseCreate(Request):
    """Either `chunk_id` (its document and version follow) or `document_id` (+ `version`)."""

    chunk_id: StrictInt | None = None
    document_id: StrictInt | str | None = None
    version: StrictInt | None = Field(None, ge=1)
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
    at: UtcDatetime
    chunk_id: int | None
    document_id: int
    version: int
    proposal_ref: str
    bid_ref: str | None
    user: str | None
    recorded_by: str | None


class ReuseList(BaseModel):
    reuse: list[ReusePublic]


class OutcomeCreate(Request):
    """A bid's outcome, written into its bid_result document (a new version, or a new document
    when kb knows the bid only from reuse: then `customer` is needed unless a proposal names
    the bid)."""

    outcome: Outcome
    reasons: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=50
    )
    competitors: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    amount: StrictFloat | None = Field(None, ge=0, allow_inf_nan=False)
    decision_date: date | None = None
    customer: str | None = Field(None, min_length=1, max_length=200)


class BidPublic(BaseModel):
    ref: str
    outcome: Outcome
    recorded_at: UtcDatetime
    recorded_by: str | None
    document_id: int | None = Field(None, description="the bid_result document written")
    version: int | None = Field(None, description="its version holding this outcome")


class BidDocumentPublic(BaseModel):
    id: int
    source_id: str
    version: int
    title: str


class BidDetail(BaseModel):
    ref: str
    outcome: Outcome | None
    recorded_at: UtcDatetime | None
    recorded_by: str | None
    document: BidDocumentPublic | None = Field(description="its bid_result document")
    fields: dict[str, Any] = Field(
        description="customer, outcome, reasons, competitors, amount, decision_date"
    )
    proposals: list[BidDocumentPublic]
    reuse_count: int


FreshnessStatus = Literal["fresh", "due_soon", "stale", "unowned"]


# -- people ---------------------------------------------------------------------------------
class UserCreate(Request):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    team: str | None = Field(None, max_length=100)
    display_name: str | None = Field(None, max_length=200)


class UserUpdate(Request):
    """Fields left out keep their value; `team: null` clears the team."""

    role: Role | None = None
    team: str | None = Field(None, max_length=100)


class TokenIssued(BaseModel):
    name: str
    token: str = Field(description="the new bearer token; the old one no longer works")


class UserPublic(BaseModel):
    name: str
    role: Role
    team: str | None
    display_name: str | None
    disabled: bool
    created_at: UtcDatetime

    @classmethod
    def of(cls, person: Person) -> UserPublic:
        return cls.model_validate(person.model_dump())


class UserCreated(UserPublic):
    token: str = Field(description="the bearer token; shown this once, only its hash is kept")


class UsersPublic(BaseModel):
    items: list[UserPublic]


# -- governance -----------------------------------------------------------------------------
class ReviewCreate(Request):
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="what was checked")


class HandoverCreate(Request):
    to: str = Field(..., min_length=1, description="the successor's user name")
    disable: StrictBool = Field(False, description="also disable the leaver")


class ContributionRow(BaseModel):
    """One person's, team's or kind's activity: the row carries the key it is grouped by
    (`person`, with that person's `team`; `team`; or `kind`) and the counts."""

    person: str | None = None
    team: str | None = None
    kind: Kind | None = None
    documents_created: int
    documents_deleted: int = Field(
        0,
        description="documents the person created that were deleted since (not as a "
        "duplicate): not counted",
    )
    duplicates_deleted: int = Field(
        0,
        description="documents the person created that were deleted since as a near-duplicate "
        "of another (DELETE ?duplicate_of=): not counted",
    )
    versions_written: int
    versions_reverted: int = Field(
        0, description="versions whose change the next version undid: not counted"
    )
    reviews: int
    competitor_intel_added: int
    reused_by_others: int
    reused_in_won_bids: int


class ContributionsPublic(BaseModel):
    since: date | None
    until: date | None
    group_by: Literal["person", "team", "kind"]
    rows: list[ContributionRow]

    @classmethod
    def of(
        cls, since: date | None, until: date | None, group_by: str, rows: list[dict[str, Any]]
    ) -> ContributionsPublic:
        """Rows keep only their own keys: dump with `exclude_unset`."""
        return cls(
            since=since,
            until=until,
            group_by=group_by,
            rows=[ContributionRow(**row) for row in rows],
        )


class FreshnessDetail(BaseModel):
    status: FreshnessStatus
    score: int = Field(description="0-100")
    interval_days: int | None = Field(description="review interval; null: never goes stale")
    last_verified: UtcDatetime
    due_at: UtcDatetime | None
    days_overdue: int


class AuditRowPublic(FreshnessDetail):
    """A document in an audit, with its freshness."""

    document_id: int
    source_id: str
    title: str
    kind: Kind
    owner: str | None
    team: str | None = Field(description="the owner's team")
    document_status: Status


class FreshnessAuditPublic(BaseModel):
    now: UtcDatetime = Field(description="the moment audited")
    counts: dict[str, int] = Field(description="documents per freshness status")
    documents: list[AuditRowPublic]

    @classmethod
    def of(cls, now: datetime, rows: list[AuditRow]) -> FreshnessAuditPublic:
        return cls(
            now=now,
            counts=status_counts(rows),
            documents=[AuditRowPublic(**row.as_dict()) for row in rows],
        )


class ReviewPublic(BaseModel):
    document_id: int
    source_id: str
    version: int
    reviewed_at: UtcDatetime
    reviewed_by: str | None
    note: str | None
    freshness: FreshnessDetail

    @classmethod
    def of(cls, review: Review, freshness: Freshness) -> ReviewPublic:
        return cls(**review.as_dict(), freshness=FreshnessDetail(**freshness.as_dict()))


class HandedOverDocument(BaseModel):
    id: int
    source_id: str
    title: str


class HandoverPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    leaver: str = Field(alias="from")
    to: str
    count: int
    documents: list[HandedOverDocument]
    disabled: bool

    @classmethod
    def of(cls, handover: Handover) -> HandoverPublic:
        return cls(**handover.as_dict())
