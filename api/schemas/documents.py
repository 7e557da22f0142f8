"""Documents: contribute, update, read, versions and diffs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictFloat, StrictInt, model_validator

from api.schemas.base import (
    MAX_TEXT_CHARS,
    Confidentiality,
    Kind,
    Outcome,
    Request,
)
from kb.documents import MAX_REVIEW_INTERVAL_DAYS


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
    review_interval_days: StrictInt | None = Field(None, ge=1, le=MAX_REVIEW_INTERVAL_DAYS)
    updated: date | None = None
    source: str | None = None
    observed: date | None = None
    bid: str | None = None
    outcome: Outcome | None = None
    amount: StrictFloat | None = Field(None, allow_inf_nan=False)
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

    base_version: StrictInt = Field(ge=1)
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


class FieldChangePublic(BaseModel):
    """A field that changed: a list field (tags, products, ...) lists what was added and
    removed; any other field (owner, confidentiality, status, title, ...) its values."""

    field: str
    before: Any = None
    after: Any = None
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class VersionPublic(BaseModel):
    number: int
    title: str
    author: str | None
    change_note: str | None
    created_at: datetime
    content_hash: str
    changes: list[FieldChangePublic] = Field(
        default_factory=list, description="fields changed from the version before"
    )


class EventPublic(BaseModel):
    """Something that happened to a document besides a new version: a review, an archive,
    a restore, a delete, a hand-over."""

    at: datetime
    actor: str | None
    action: str
    version: int | None
    detail: dict[str, Any]


class VersionDetail(VersionPublic):
    document_id: int
    text: str
    metadata: dict[str, Any]


class VersionsPublic(BaseModel):
    document_id: int
    source_id: str
    current_version: int
    versions: list[VersionPublic]
    events: list[EventPublic] = Field(default_factory=list)


class DiffPublic(BaseModel):
    document_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangePublic] = Field(
        default_factory=list, description="fields that differ (tags added and removed, ...)"
    )
    diff: str = Field(description="unified diff of the title and text")


class StatusChanged(BaseModel):
    id: int
    status: str
    changed: bool
