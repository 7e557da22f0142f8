"""Drafts: the proposal tool (or an engineer) picks units of reuse (kb.units) per section type;
kb puts them in a proposal's standard order under one heading per type, lists where each came
from, and records every item as reuse. kb.draft_files writes the result as .docx or Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from kb.access import Viewer, check_service_read, visible_document
from kb.errors import InvalidInput, NotFound
from kb.freshness import last_verified
from kb.language import detect_language
from kb.reuse import record_reuse
from kb.sections import resolve_section_type, section_type, standard_order
from kb.units import Unit, unit_for_ref

MAX_ITEMS = 100
MAX_ITEM_CHARS = 50_000


@dataclass(frozen=True)
class DraftItem:
    section_type: str  # a type's name or heading (解决方案, Solution)
    ref: str  # a suggestion's ref: a section or a Q&A
    text: str | None = None  # the engineer's edit of the unit's text


@dataclass(frozen=True)
class DraftSource:
    number: int  # [n] in the text
    document_id: int
    source_id: str
    title: str
    version: int
    owner: str | None
    last_verified: datetime


@dataclass
class DraftSection:
    section_type: str
    heading: str
    parts: list[tuple[str, int]] = field(default_factory=list)  # text, source number


@dataclass
class Draft:
    title: str
    customer: str | None
    language: str  # zh or en: the language of the headings
    sections: list[DraftSection]
    sources: list[DraftSource]


def compose_draft(
    session: Session,
    title: str,
    customer: str | None,
    items: list[DraftItem],
    *,
    viewer: Viewer | None,
) -> Draft:
    """The draft of `items`: sections in standard order (items of one type in the order
    given), each unit's text (or its edit) and its source. Nothing is written."""
    if not title.strip():
        raise InvalidInput("a draft needs a title")
    if not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput(f"a draft takes 1 to {MAX_ITEMS} items (got {len(items)})")
    language = detect_language(f"{title} {customer or ''}")
    sections: dict[str, DraftSection] = {}
    sources: list[DraftSource] = []
    for position, item in enumerate(items, 1):
        kind = resolve_section_type(item.section_type, f"section_type of item {position}")
        unit = _visible_unit(session, item.ref, viewer)
        text = unit.text if item.text is None else item.text.strip()
        if not text or len(text) > MAX_ITEM_CHARS:
            raise InvalidInput(f"item {position}: text must have 1 to {MAX_ITEM_CHARS} characters")
        source = _source(unit, len(sources) + 1)
        sources.append(source)
        heading = _heading(kind, language)
        sections.setdefault(kind, DraftSection(kind, heading)).parts.append((text, source.number))
    ordered = sorted(sections.values(), key=lambda s: standard_order(s.section_type))
    return Draft(title.strip(), customer, language, ordered, sources)


def record_draft_reuse(
    session: Session,
    draft_items: list[DraftItem],
    *,
    proposal_ref: str,
    bid_ref: str | None,
    user: str | None,
    recorded_by: str | None,
) -> int:
    """Record every item of a draft as reuse of its unit (its first chunk); idempotent, so the
    same draft made twice records nothing new. Returns how many items were recorded."""
    for item in draft_items:
        unit = unit_for_ref(session, item.ref)
        record_reuse(
            session,
            unit.document,
            proposal_ref=proposal_ref,
            chunk_id=unit.chunks[0].id,
            bid_ref=bid_ref,
            user=user,
            recorded_by=recorded_by,
        )
    return len(draft_items)


def _visible_unit(session: Session, ref: str, viewer: Viewer | None) -> Unit:
    """The unit `ref` names, if `viewer` may see (and, a service, read) its document."""
    unit = unit_for_ref(session, ref)
    try:
        document = visible_document(session, unit.document.id or 0, viewer)
    except NotFound:
        raise NotFound(f"no section or Q&A with ref '{ref}'") from None
    check_service_read(viewer, document)
    return unit


def _source(unit: Unit, number: int) -> DraftSource:
    document = unit.document
    return DraftSource(
        number=number,
        document_id=document.id or 0,
        source_id=document.source_id,
        title=document.title,
        version=unit.version,
        owner=document.owner,
        last_verified=last_verified(document),
    )


def _heading(kind: str, language: str) -> str:
    if kind not in {"other"}:
        found = section_type(kind)
        return found.zh if language == "zh" else found.en
    return "其他" if language == "zh" else "Other"
