"""Review requests, verifiers and notifications."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from api.schemas.base import Request
from kb.clock import UtcDatetime
from kb.models import VerifierDefault
from kb.outbox import WEBHOOK_FORMATS
from kb.review import MAX_NOTE_CHARS
from kb.verifiers import Verifiers
from kb.vocabulary import Kind, ReviewDecision, Topic


class ReviewRequestCreate(Request):
    document: StrictInt | str = Field(description="document id or source id")
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS)


class StaleReviewsCreate(Request):
    team: str | None = Field(None, description="the owners' team; null: every team")
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS)


class ReviewDecisionCreate(Request):
    decision: ReviewDecision
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS)


class ReviewRequestPublic(BaseModel):
    id: int
    document_id: int
    title: str
    kind: Kind
    owner: str | None
    version: int
    verifiers: list[str]
    requested_by: str | None
    requested_at: UtcDatetime
    note: str | None
    status: Literal["open", "approved", "needs_changes"]
    decided_by: str | None
    decided_at: UtcDatetime | None
    decision_note: str | None


class ReviewRequestsPublic(BaseModel):
    items: list[ReviewRequestPublic]


class VerifiersUpdate(Request):
    verifiers: list[str] = Field(description="people; an empty list goes back to the defaults")


class VerifiersPublic(BaseModel):
    verifiers: list[str]
    source: str = Field(description="document, default (kind and team), default (kind), owner")

    @classmethod
    def of(cls, verifiers: Verifiers) -> VerifiersPublic:
        return cls(verifiers=list(verifiers.names), source=verifiers.source)


class VerifierDefaultUpdate(Request):
    kind: Kind
    team: str | None = Field(None, description="the owner's team; null: any team")
    verifiers: list[str] = Field(description="an empty list removes the default")


class VerifierDefaultPublic(BaseModel):
    kind: Kind
    team: str | None
    verifiers: list[str]

    @classmethod
    def of(cls, default: VerifierDefault) -> VerifierDefaultPublic:
        return cls(kind=default.kind, team=default.team or None, verifiers=default.verifiers)


class VerifierDefaultsPublic(BaseModel):
    items: list[VerifierDefaultPublic]


class Webhook(Request):
    format: Literal[WEBHOOK_FORMATS]  # type: ignore[valid-type]
    url: str = Field(min_length=8, max_length=2000)


class PreferenceUpdate(Request):
    email: str | None = Field(None, max_length=320)
    webhooks: list[Webhook] = Field(default_factory=list)
    mute_digest: StrictBool = False


class PreferencePublic(BaseModel):
    person: str
    email: str | None
    webhooks: list[dict[str, str]]
    mute_digest: bool


class DeliveryPublic(BaseModel):
    id: int
    key: str
    recipient: str
    topic: Topic
    subject: str
    document_id: int | None
    channel: Literal["email", "webhook", "wecom", "dingtalk", "feishu"]
    target: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    next_attempt_at: UtcDatetime
    last_error: str | None
    sent_at: UtcDatetime | None
    created_at: UtcDatetime


class DeliveriesPublic(BaseModel):
    items: list[DeliveryPublic]


# -- pending edits and team policy -----------------------------------------------------------
class PendingEditPublic(BaseModel):
    id: int
    document_id: int
    base_version: int
    fields: dict[str, Any]
    text: str | None
    change_note: str | None
    author: str
    created_at: UtcDatetime
    status: Literal["pending", "accepted", "rejected"]
    decided_by: str | None
    decided_at: UtcDatetime | None


class PendingEditsPublic(BaseModel):
    items: list[PendingEditPublic]


class PendingDecision(Request):
    accept: StrictBool


class TeamPolicyUpdate(Request):
    owner_approves_qa_edits: StrictBool


class TeamPolicyPublic(BaseModel):
    team: str
    owner_approves_qa_edits: bool
