"""The words of a document: its kinds, statuses, levels, outcomes, roles, languages and search
modes, and the table of its metadata fields. Validation (kb.documents, api.schemas), search
filters (search.catalog), the `/documents` filters, suggestions and the readers all read these,
so adding a metadata field is one line in METADATA_FIELDS.

The enums are `str` enums whose members are named by their values (`Kind.qa == "qa"`, as in
FastAPI's own examples): pydantic takes them directly, and whatever a database driver writes for
a member (its name or its value) is the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    product_note = "product_note"
    competitor_intel = "competitor_intel"
    proposal = "proposal"
    bid_result = "bid_result"
    qa = "qa"
    glossary = "glossary"  # the team's names for things (kb.glossary); not a search result


class SuggestedKind(StrEnum):
    """The kinds reuse suggestions offer: proposal sections and Q&A answers."""

    proposal = Kind.proposal.value
    qa = Kind.qa.value


class EntryType(StrEnum):
    """What a glossary entry names."""

    product = "product"
    competitor = "competitor"
    customer = "customer"
    industry = "industry"
    technology = "technology"
    regulation = "regulation"
    term = "term"


class Status(StrEnum):
    """A document's life: active, archived (kept, out of search), deleted (managers only)."""

    active = "active"
    archived = "archived"
    deleted = "deleted"


# What a document may be written with (deleting is its own action).
WRITABLE_STATUSES = (Status.active, Status.archived)


class Confidentiality(StrEnum):
    """From the most open to the strictest (kb.access compares them in this order)."""

    public = "public"
    internal = "internal"
    confidential = "confidential"


class Outcome(StrEnum):
    won = "won"
    lost = "lost"
    withdrawn = "withdrawn"
    pending = "pending"


class Role(StrEnum):
    """A person's role; what each may do is kb.access's to say."""

    reader = "reader"
    contributor = "contributor"
    manager = "manager"
    service = "service"


class ReviewDecision(StrEnum):
    """What a verifier answers to a review request."""

    approve = "approve"
    needs_changes = "needs_changes"


class ReviewStatus(StrEnum):
    """A review request: open until a verifier decides it."""

    open = "open"
    approved = "approved"
    needs_changes = "needs_changes"


# The request's status once a decision is made.
REVIEW_OUTCOMES = {
    ReviewDecision.approve: ReviewStatus.approved,
    ReviewDecision.needs_changes: ReviewStatus.needs_changes,
}


class Language(StrEnum):
    zh = "zh"
    en = "en"


class Mode(StrEnum):
    """How search ranks: both signals fused, the embedding alone or BM25 alone."""

    hybrid = "hybrid"
    semantic = "semantic"
    keyword = "keyword"


class SectionType(StrEnum):
    """A proposal section's type, in a proposal's standard order (kb.sections maps the headings
    that name each, in Chinese and English); `other`: under no heading kb knows."""

    background = "background"
    requirements = "requirements"
    solution = "solution"
    security = "security"
    migration = "migration"
    advantages = "advantages"
    implementation = "implementation"
    support = "support"
    risks = "risks"
    pricing = "pricing"
    other = "other"


class EventAction(StrEnum):
    """What an event of the log (kb.events) records."""

    create = "create"
    update = "update"
    restore = "restore"
    review = "review"
    delete = "delete"
    archive = "archive"
    handover = "handover"
    reuse = "reuse"
    outcome = "outcome"
    review_request = "review_request"
    pending_edit = "pending_edit"


class Topic(StrEnum):
    """What a notification is about (kb.outbox)."""

    review_request = "review_request"
    review_decision = "review_decision"
    edit_by_other = "edit_by_other"
    handover = "handover"
    pending_edit = "pending_edit"
    digest = "digest"


def values(enum: Iterable[StrEnum]) -> tuple[str, ...]:
    """The plain values of an enum, in order: ("won", "lost", ...)."""
    return tuple(member.value for member in enum)


# Han ideographs (CJK Unified Ideographs, Extension A, Compatibility Ideographs): what language
# detection counts, what the keyword index segments with jieba and what snippets mark.
HAN_RANGES = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Every character a CJK text counts one token-ish unit each when chunks are measured: Han plus
# radicals, CJK punctuation, kana, bopomofo, hangul and full-width forms.
CJK_WIDE_RANGES = (
    "\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff" + HAN_RANGES + "\uac00-\ud7af\uff00-\uffef"
)


class Shape(StrEnum):
    """How a metadata field's value is written and validated."""

    text = "text"
    list = "list"  # a list of text values (`a; b` or `[a, b]`)
    date = "date"  # YYYY-MM-DD
    number = "number"
    days = "days"  # a whole number of days, 1 to MAX_REVIEW_INTERVAL_DAYS
    outcome = "outcome"  # one of Outcome


ALL_KINDS: tuple[Kind, ...] = tuple(Kind)


@dataclass(frozen=True)
class ContextParam:
    """How a suggestion request gives a context field: the request's field name, and whether
    it takes a list of values (else one)."""

    name: str
    many: bool = False


@dataclass(frozen=True)
class MetadataField:
    """One metadata field (kept in a document's `meta`).

    `filter` is the name search and `/documents` filter it by (None: not a filter); `aliases`
    are other fields whose values count as this one's (a competitor_intel's `competitor` counts
    among its `competitors`); `kinds` carry it; `required_by` kinds must give it; `named_by` is the
    glossary entry type whose names its values are (matched by any alias, shown canonical);
    `on_form` is False for a field the web contribute form fills by other means (a Q&A's
    `answer` is its text, the `author` is the person signed in); `context` makes it a context
    field of suggestions: a request gives values for it (under `context.name`) and candidates
    whose field holds them rank higher."""

    name: str
    shape: Shape
    filter: str | None = None
    aliases: tuple[str, ...] = ()
    kinds: tuple[Kind, ...] = ALL_KINDS
    required_by: tuple[Kind, ...] = ()
    named_by: EntryType | None = None
    on_form: bool = True
    context: ContextParam | None = None


_INTEL, _PROPOSAL, _BID, _QA = Kind.competitor_intel, Kind.proposal, Kind.bid_result, Kind.qa
METADATA_FIELDS: tuple[MetadataField, ...] = (
    MetadataField(
        "products",
        Shape.list,
        filter="product",
        named_by=EntryType.product,
        context=ContextParam("products", many=True),
    ),
    MetadataField(
        "competitors",
        Shape.list,
        filter="competitor",
        aliases=("competitor",),
        named_by=EntryType.competitor,
        context=ContextParam("competitor"),
    ),
    MetadataField("tags", Shape.list, filter="tag"),
    MetadataField(
        "industry",
        Shape.text,
        filter="industry",
        required_by=(_PROPOSAL,),
        named_by=EntryType.industry,
        context=ContextParam("industry"),
    ),
    MetadataField(
        "customer",
        Shape.text,
        filter="customer",
        required_by=(_PROPOSAL, _BID),
        named_by=EntryType.customer,
        context=ContextParam("customer"),
    ),
    MetadataField(
        "competitor",
        Shape.text,
        kinds=(_INTEL,),
        required_by=(_INTEL,),
        named_by=EntryType.competitor,
    ),
    MetadataField("source", Shape.text, kinds=(_INTEL,), required_by=(_INTEL,)),
    MetadataField("observed", Shape.date, kinds=(_INTEL,), required_by=(_INTEL,)),
    MetadataField("bid", Shape.text, kinds=(_PROPOSAL, _BID), required_by=(_BID,)),
    MetadataField("outcome", Shape.outcome, kinds=(_BID,), required_by=(_BID,)),
    MetadataField("amount", Shape.number, kinds=(_BID,)),
    MetadataField("decision_date", Shape.date, kinds=(_BID,)),
    MetadataField("reasons", Shape.list, kinds=(_BID,)),
    MetadataField("question", Shape.text, kinds=(_QA,), required_by=(_QA,)),
    MetadataField("answer", Shape.text, kinds=(_QA,), on_form=False),
    MetadataField("grants", Shape.list),  # who may see a confidential document (kb.access)
    MetadataField("review_interval_days", Shape.days),
    MetadataField("updated", Shape.date),
    MetadataField("author", Shape.text, on_form=False),
)
FIELDS_BY_NAME: dict[str, MetadataField] = {f.name: f for f in METADATA_FIELDS}
# The fields a suggestion request may give as its context (search.suggestion_score).
CONTEXT_FIELDS: tuple[MetadataField, ...] = tuple(f for f in METADATA_FIELDS if f.context)
# Filters by their name; list fields answer to their plural field name too (`products`).
FIELDS_BY_FILTER: dict[str, MetadataField] = {
    **{f.name: f for f in METADATA_FIELDS if f.filter and f.shape is Shape.list},
    **{f.filter: f for f in METADATA_FIELDS if f.filter},
}


def fields_of_shape(shape: Shape) -> tuple[str, ...]:
    return tuple(f.name for f in METADATA_FIELDS if f.shape is shape)


def required_fields(kind: str) -> tuple[str, ...]:
    """The metadata fields a document of `kind` must give."""
    return tuple(f.name for f in METADATA_FIELDS if kind in f.required_by)


def fields_of_kind(kind: str) -> tuple[MetadataField, ...]:
    """The metadata fields a document of `kind` carries, in table order."""
    return tuple(f for f in METADATA_FIELDS if kind in f.kinds)


def field_values(meta: Mapping[str, Any], name: str) -> list[str]:
    """The values of field `name` in a document's `meta`, with those of its aliases: a list
    field's items, a text field's value, nothing when absent."""
    found: list[str] = []
    aliases = FIELDS_BY_NAME[name].aliases if name in FIELDS_BY_NAME else ()
    for key in (name, *aliases):
        value = meta.get(key)
        items = value if isinstance(value, list) else [value]
        found.extend(str(item) for item in items if item is not None and item != "")
    return found


def has_value(meta: Mapping[str, Any], name: str, wanted: Iterable[str]) -> bool:
    """Whether field `name` (or an alias) holds one of `wanted`, ignoring case and spaces."""
    targets = {str(w).strip().lower() for w in wanted}
    return any(v.strip().lower() in targets for v in field_values(meta, name))
