"""Win/loss analytics and competitor pages (kb.winloss)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.governance import FreshnessDetail
from kb.vocabulary import Outcome


class ReasonCount(BaseModel):
    reason: str
    count: int


class WinLossRow(BaseModel):
    """One group's bids; the group's name is under the key `group_by` names (only that one)."""

    competitor: str | None = None
    industry: str | None = None
    product: str | None = None
    quarter: str | None = None
    owner: str | None = None
    names: list[str] = Field(description="the spellings grouped")
    won: int
    lost: int
    withdrawn: int
    pending: int
    bids: int
    win_rate: float | None = Field(description="won / (won + lost); null: none decided")
    amount_won: float
    amount_lost: float
    amount_total: float
    reasons_won: list[ReasonCount]
    reasons_lost: list[ReasonCount]


class WinLossPublic(BaseModel):
    group_by: Literal["competitor", "industry", "product", "quarter", "owner"]
    rows: list[WinLossRow]

    @classmethod
    def of(cls, group_by: str, rows: list[dict[str, Any]]) -> WinLossPublic:
        return cls(group_by=group_by, rows=[WinLossRow.model_validate(r) for r in rows])


class IntelPublic(BaseModel):
    id: int
    source_id: str
    title: str
    owner: str | None
    observed: date | None
    source: str | None
    content_date: str | None
    freshness: FreshnessDetail


class BidFactsPublic(BaseModel):
    document_id: int
    bid: str
    customer: str | None
    outcome: Outcome
    amount: float | None
    decided: date | None = Field(description="the decision date")
    owner: str | None
    industry: str | None
    competitors: list[str]
    products: list[str]
    reasons: list[str]


class CompetitorPublic(BaseModel):
    competitor: str
    intel: list[IntelPublic] = Field(description="newest first, with freshness")
    bids: list[BidFactsPublic] = Field(description="the bids against it, newest decision first")
    won: int
    lost: int
    withdrawn: int
    pending: int
    win_rate: float | None
