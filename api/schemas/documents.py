"""Documents: contribute, update, read, versions and diffs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    create_model,
    model_validator,
)

from api.schemas.base import MAX_TEXT_CHARS, Request
from kb.answers import is_approved
from kb.clock import UtcDatetime
from kb.documents import MAX_REVIEW_INTERVAL_DAYS
from kb.glossary import Glossary
from kb.models import Document, DocumentVersion, Event
from kb.versions import field_changes
from kb.vocabulary import (
    FIELDS_BY_FILTER,
    METADATA_FIELDS,
    WRITABLE_STATUSES,
    Confidentiality,
    EventAction,
    Kind,
    Language,
    MetadataField,
    Outcome,
    Shape,
    Status,
    values,
)

# The request type of each metadata field shape (kb.documents validates front matter alike).
SHAPE_TYPES: dict[Shape, Any] = {
    Shape.text: str,
    Shape.list: list[str],
    Shape.date: date,
    Shape.number: StrictFloat,
    Shape.days: StrictInt,
    Shape.outcome: Outcome,
}
FIELD_DESCRIPTIONS = {
    "grants": "people (`li.na`) or teams (`team:华东售前`) who may see a confidential document",
}


class DocumentRowFields(Request):
    """The fields kept on the document itself; DocumentFields adds the metadata fields."""

    language: Language | None = None
    owner: str | None = Field(None, max_length=200)
    confidentiality: Confidentiality | None = None
    status: Literal[values(WRITABLE_STATUSES)] | None = None  # type: ignore[valid-type]
    change_note: str | None = Field(None, max_length=2000)


def _metadata_field(field: MetadataField) -> tuple[Any, Any]:
    constraints: dict[str, Any] = {"description": FIELD_DESCRIPTIONS.get(field.name)}
    if field.shape is Shape.days:
        constraints.update(ge=1, le=MAX_REVIEW_INTERVAL_DAYS)
    if field.shape is Shape.number:
        constraints.update(allow_inf_nan=False)
    return SHAPE_TYPES[field.shape] | None, Field(None, **constraints)


if TYPE_CHECKING:
    DocumentFields = DocumentRowFields
else:
    DocumentFields = create_model(
        "DocumentFields",
        __base__=DocumentRowFields,
        __doc__="The fields front matter takes (see docs/format.md): one per kb.vocabulary "
        "metadata field, with the row fields.",
        **{field.name: _metadata_field(field) for field in METADATA_FIELDS},
    )


if TYPE_CHECKING:
    MetadataFilters = BaseModel
else:
    MetadataFilters = create_model(
        "MetadataFilters",
        __doc__="`GET /documents` filters on metadata: one per filterable field, a value it "
        "must hold (ignoring case).",
        **{f.filter: (str | None, None) for f in METADATA_FIELDS if f.filter},
    )


def metadata_filters(filters: BaseModel) -> dict[str, str]:
    """{field name: wanted value} of the filters given: `{"competitors": "华为云"}`."""
    given = filters.model_dump(exclude_none=True)
    return {FIELDS_BY_FILTER[k].name: v for k, v in given.items() if v}


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
    kind: Kind
    title: str
    changed: bool
    seq: int | None = Field(
        None,
        description="the change-log position of this write: pass it as a search's `min_seq` "
        "to read your write on any replica",
    )
    near_duplicates: list[NearDuplicate] = Field(
        default_factory=list,
        description="existing documents very like this one (KB_NEAR_DUPLICATE_THRESHOLD): "
        "update one of them instead?",
    )
    pending_edit: int | None = Field(
        None,
        description="the change waits for the owner's approval as this pending edit "
        "(an approved Q&A in a team that asks for it); the current version is unchanged",
    )


class DocumentUploaded(BaseModel):
    documents: list[DocumentSaved]
    seq: int | None = Field(None, description="as a single document's `seq`")


class DocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source_id: str
    kind: Kind
    title: str
    language: Language
    owner: str | None
    status: Status
    confidentiality: Confidentiality
    version: int
    metadata: dict[str, Any]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    content_date: UtcDatetime | None
    reviewed_at: UtcDatetime | None
    viewed_at: UtcDatetime | None

    @classmethod
    def of(cls, document: Document, glossary: Glossary | None = None) -> Self:
        """With a glossary, metadata values (competitor, industry, ...) by canonical name."""
        return cls.model_validate(_document_fields(document, glossary))


def _document_fields(document: Document, glossary: Glossary | None = None) -> dict[str, Any]:
    return {
        **document.model_dump(exclude={"meta", "current_version"}),
        "version": document.current_version,
        "metadata": glossary.canonical_meta(document.meta) if glossary else document.meta,
    }


class DocumentDetail(DocumentPublic):
    text: str
    author: str | None
    change_note: str | None
    approved: bool = Field(
        False,
        description="a Q&A whose current version was approved by a review (kb.answers)",
    )

    @classmethod
    def of_version(
        cls, document: Document, version: DocumentVersion, glossary: Glossary | None = None
    ) -> DocumentDetail:
        """The document with the text of its `version` (the current one, as a rule)."""
        return cls.model_validate(
            {
                **_document_fields(document, glossary),
                "text": version.text,
                "author": version.author,
                "change_note": version.change_note,
                "approved": is_approved(document),
            }
        )


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
    created_at: UtcDatetime
    content_hash: str
    changes: list[FieldChangePublic] = Field(
        default_factory=list, description="fields changed from the version before"
    )

    @classmethod
    def of(cls, version: DocumentVersion, previous: DocumentVersion | None = None) -> Self:
        """A version; with `previous`, the fields changed since it (none for a first one)."""
        changes = field_changes(previous, version) if previous is not None else []
        return cls.model_validate(
            {
                **version.model_dump(exclude={"meta"}),
                "changes": [c.as_dict() for c in changes],
            }
        )


class EventPublic(BaseModel):
    """Something that happened to a document besides a new version: a review, an archive,
    a restore, a delete, a hand-over."""

    at: UtcDatetime
    actor: str | None
    action: EventAction
    version: int | None
    detail: dict[str, Any]


class VersionDetail(VersionPublic):
    document_id: int
    text: str
    metadata: dict[str, Any]

    @classmethod
    def of(cls, version: DocumentVersion, previous: DocumentVersion | None = None) -> Self:
        return cls.model_validate(
            {
                **VersionPublic.of(version, previous).model_dump(),
                "document_id": version.document_id,
                "text": version.text,
                "metadata": version.meta,
            }
        )


class VersionsPublic(BaseModel):
    document_id: int
    source_id: str
    current_version: int
    versions: list[VersionPublic]
    events: list[EventPublic] = Field(default_factory=list)

    @classmethod
    def of(
        cls, document: Document, versions: list[DocumentVersion], events: list[Event]
    ) -> VersionsPublic:
        """`versions` oldest first, each with the fields changed from the one before."""
        assert document.id is not None
        previous = {v.number: v for v in versions}
        return cls(
            document_id=document.id,
            source_id=document.source_id,
            current_version=document.current_version,
            versions=[VersionPublic.of(v, previous.get(v.number - 1)) for v in versions],
            events=[EventPublic.model_validate(e, from_attributes=True) for e in events],
        )


class DiffPublic(BaseModel):
    document_id: int
    from_version: int
    to_version: int
    changes: list[FieldChangePublic] = Field(
        default_factory=list, description="fields that differ (tags added and removed, ...)"
    )
    diff: str = Field(description="unified diff of the title and text")

    @classmethod
    def of(
        cls, document: Document, before: DocumentVersion, after: DocumentVersion, diff: str
    ) -> DiffPublic:
        assert document.id is not None
        return cls(
            document_id=document.id,
            from_version=before.number,
            to_version=after.number,
            changes=[FieldChangePublic(**c.as_dict()) for c in field_changes(before, after)],
            diff=diff,
        )


class StatusChanged(BaseModel):
    id: int
    status: Status
    changed: bool
    seq: int | None = Field(None, description="as a saved document's `seq`")
