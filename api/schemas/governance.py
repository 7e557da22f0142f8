"""Reuse, bids, people, reviews and hand-overs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from api.schemas.base import Request
from kb.review import MAX_NOTE_CHARS
from kb.vocabulary import Outcome, Role


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


class UserUpdate(Request):
    """Fields left out keep their value; `team: null` clears the team."""

    role: Role | None = None
    team: str | None = Field(None, max_length=100)


class TokenIssued(BaseModel):
    name: str
    token: str = Field(description="the new bearer token; the old one no longer works")


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


# -- governance -----------------------------------------------------------------------------
class ReviewCreate(Request):
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="what was checked")


class HandoverCreate(Request):
    to: str = Field(..., min_length=1, description="the successor's user name")
    disable: StrictBool = Field(False, description="also disable the leaver")
