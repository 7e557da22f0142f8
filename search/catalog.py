"""What search knows of each indexed document: filter fields, visibility, its chunks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from kb.access import Viewer, can_see, grants_of, sees_everything
from kb.bids import bid_outcomes
from kb.clock import after_day
from kb.errors import InvalidInput
from kb.glossary import Glossary, load_glossary
from kb.models import Chunk, Document, DocumentVersion
from kb.sections import resolve_section_type
from kb.vocabulary import (
    FIELDS_BY_FILTER,
    METADATA_FIELDS,
    Confidentiality,
    Kind,
    Language,
    Outcome,
    Status,
    has_value,
    values,
)

# Filters on the document row, and the values the closed ones can take.
ROW_FILTERS = ("kind", "owner", "language", "confidentiality", "source_id")
DATE_FILTERS = {
    "updated_after": ("after", "updated_at"),
    "updated_before": ("before", "updated_at"),
    "date_after": ("after", "content_date"),
    "date_before": ("before", "content_date"),
}
CLOSED_FILTERS: dict[str, tuple[str, ...]] = {
    "kind": values(Kind),
    "outcome": values(Outcome),
    "confidentiality": values(Confidentiality),
    "language": values(Language),
}
SECTION_FILTER = "section_type"  # a chunk's filter (kb.sections); the others are documents'
# `outcome` is the bid's outcome (DocEntry.outcome), not a field of the document's own.
FILTER_KEYS = (SECTION_FILTER, *FIELDS_BY_FILTER, *ROW_FILTERS, "outcome", *DATE_FILTERS)
# The names to show (list fields' plural names work too).
FILTER_NAMES = (
    *(f.filter for f in METADATA_FIELDS if f.filter),
    SECTION_FILTER,
    "outcome",
    *ROW_FILTERS,
    *DATE_FILTERS,
)


@dataclass
class DocEntry:
    id: int
    source_id: str
    kind: str
    title: str
    language: str
    owner: str | None
    confidentiality: str
    version: int
    updated_at: datetime
    content_date: datetime | None
    meta: dict[str, Any]
    grants: frozenset[str] = frozenset()
    outcome: str | None = None

    def visible_to(self, viewer: Viewer | None) -> bool:
        return can_see(
            viewer, confidentiality=self.confidentiality, owner=self.owner, grants=self.grants
        )


ALLOWED_MEMO_SIZE = 32  # answers a catalog remembers: each may hold every chunk id (0.8 MB at 100k)

# A chunk as the catalog holds it: (chunk id, content hash, section type or None).
ChunkRow = tuple[int, str, str | None]
# What search should hold of a document: its entry (None: out of search) and current chunks.
DocState = tuple["DocEntry | None", list[ChunkRow]]


@dataclass
class Catalog:
    """Never changed once published: `evolved` makes the next one."""

    docs: dict[int, DocEntry] = field(default_factory=dict)
    chunk_doc: dict[int, int] = field(default_factory=dict)
    doc_chunks: dict[int, list[int]] = field(default_factory=dict)
    chunk_section: dict[int, str] = field(default_factory=dict)  # proposal chunks' types
    glossary: Glossary = field(default_factory=Glossary)  # what entries' metadata is named by

    def evolved(self, changed: Mapping[int, DocState], glossary: Glossary | None = None) -> Catalog:
        """A new catalog where each changed document has this state (and this glossary)."""
        docs, chunk_doc = dict(self.docs), dict(self.chunk_doc)
        doc_chunks, chunk_section = dict(self.doc_chunks), dict(self.chunk_section)
        for doc_id, (entry, chunks) in changed.items():
            for chunk_id in doc_chunks.pop(doc_id, []):
                chunk_doc.pop(chunk_id, None)
                chunk_section.pop(chunk_id, None)
            docs.pop(doc_id, None)
            if entry is None:
                continue
            docs[doc_id] = entry
            doc_chunks[doc_id] = [chunk_id for chunk_id, _, _ in chunks]
            for chunk_id, _, section in chunks:
                chunk_doc[chunk_id] = doc_id
                if section:
                    chunk_section[chunk_id] = section
        glossary = glossary if glossary is not None else self.glossary
        return Catalog(docs, chunk_doc, doc_chunks, chunk_section, glossary)

    @cached_property
    def confidential(self) -> list[DocEntry]:
        """The confidential documents (usually few: who may see what is decided over them)."""
        return [d for d in self.docs.values() if d.confidentiality == Confidentiality.confidential]

    @property
    def has_confidential(self) -> bool:
        return bool(self.confidential)

    @cached_property
    def _chunk_ids(self) -> np.ndarray:
        return np.fromiter(self.chunk_doc, np.int64, len(self.chunk_doc))

    @cached_property
    def _allowed_memo(self) -> dict[tuple[str, Viewer | None], np.ndarray | None]:
        return {}  # this catalog never changes, so neither do the answers

    def allowed_chunks(
        self, filters: Mapping[str, Any], viewer: Viewer | None
    ) -> np.ndarray | None:
        """Chunk ids the query may return, or None when everything is allowed. Remembered per
        filters and viewer for this catalog's life (one generation)."""
        key = (repr(sorted(filters.items())), viewer)
        memo = self._allowed_memo
        if key not in memo:
            if len(memo) >= ALLOWED_MEMO_SIZE:
                memo.clear()
            memo[key] = self._allowed_chunks(filters, viewer)
        return memo[key]

    def _allowed_chunks(
        self, filters: Mapping[str, Any], viewer: Viewer | None
    ) -> np.ndarray | None:
        filters = dict(filters)
        sections = section_types_wanted(filters.pop(SECTION_FILTER, None))
        checks = parse_filters(filters, self.glossary)
        if not checks and not sections:
            return self._visible_chunks(viewer)
        ids = [
            chunk_id
            for doc in self.docs.values()
            if doc.visible_to(viewer) and all(check(doc) for check in checks)
            for chunk_id in self.doc_chunks.get(doc.id, [])
            if not sections or self.chunk_section.get(chunk_id) in sections
        ]
        return np.asarray(ids, dtype=np.int64)

    def _visible_chunks(self, viewer: Viewer | None) -> np.ndarray | None:
        """Every chunk but those of the confidential documents the viewer may not see (None:
        none is hidden), decided over the confidential documents alone."""
        if sees_everything(viewer):
            return None
        hidden = [
            chunk_id
            for doc in self.confidential
            if not doc.visible_to(viewer)
            for chunk_id in self.doc_chunks.get(doc.id, [])
        ]
        if not hidden:
            return None
        ids = self._chunk_ids
        return ids[~np.isin(ids, np.asarray(hidden, np.int64))]


def section_types_wanted(raw: Any) -> set[str]:
    """The section types a `section_type` filter names (by name or heading, either language)."""
    if raw is None or raw == "" or raw == []:
        return set()
    values = raw if isinstance(raw, list | tuple | set) else [raw]
    return {resolve_section_type(str(v), SECTION_FILTER) for v in values}


def parse_filters(filters: Mapping[str, Any], glossary: Glossary | None = None) -> list[Any]:
    """Turn `{"kind": "proposal", "product": "X-200", ...}` into predicates over DocEntry.
    With a glossary, metadata values are named by any of their forms (entries' metadata is
    canonical: see `entries_of`)."""
    glossary = glossary or Glossary()
    checks: list[Any] = []
    for key, raw in filters.items():
        if raw is None or raw == "" or raw == []:
            continue
        given = [str(v).strip() for v in (raw if isinstance(raw, list) else [raw])]
        wanted = {glossary.canonical(key, value).lower() for value in given}
        _check_choices(key, wanted)
        if key in FIELDS_BY_FILTER:
            checks.append(_field_check(FIELDS_BY_FILTER[key].name, wanted))
        elif key in ROW_FILTERS:
            checks.append(lambda d, k=key, w=wanted: str(getattr(d, k) or "").lower() in w)
        elif key == "outcome":
            checks.append(lambda d, w=wanted: (d.outcome or "") in w)
        elif key in DATE_FILTERS:
            checks.append(_date_check(key, raw))
        else:
            raise InvalidInput(
                f"unknown filter '{key}'; known filters: {', '.join(sorted(set(FILTER_KEYS)))}"
            )
    return checks


def _field_check(name: str, wanted: set[str]) -> Callable[[DocEntry], bool]:
    return lambda doc: has_value(doc.meta, name, wanted)


def _check_choices(key: str, wanted: set[str]) -> None:
    """A value a closed filter can never take is a mistake to name, not an empty result."""
    choices = CLOSED_FILTERS.get(key)
    unknown = sorted(wanted - set(choices)) if choices else []
    if unknown:
        raise InvalidInput(
            f"filter '{key}' has no value '{unknown[0]}'; use one of {', '.join(choices or ())}"
        )


def _date_check(key: str, raw: Any) -> Any:
    """`*_after` and `*_before` both include the day they name."""
    direction, attribute = DATE_FILTERS[key]
    day = _one_day(key, raw)
    start = datetime.combine(day, datetime.min.time())
    end = after_day(day)

    def check(doc: DocEntry) -> bool:
        value = getattr(doc, attribute)
        if value is None:
            return False
        return value >= start if direction == "after" else value < end

    return check


def _one_day(key: str, raw: Any) -> date:
    values = raw if isinstance(raw, list | tuple | set) else [raw]
    if len(values) != 1:
        raise InvalidInput(f"filter '{key}' takes one date, not {len(values)}")
    text = str(next(iter(values))).strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise InvalidInput(f"filter '{key}' needs a date YYYY-MM-DD (got '{text}')") from None


def entry_of(document: Document, grants: set[str], outcome: str | None) -> DocEntry:
    assert document.id is not None
    return DocEntry(
        id=document.id,
        source_id=document.source_id,
        kind=document.kind,
        title=document.title,
        language=document.language,
        owner=document.owner,
        confidentiality=document.confidentiality,
        version=document.current_version,
        updated_at=document.updated_at,
        content_date=document.content_date,
        meta=document.meta,
        grants=frozenset(grants),
        outcome=outcome,
    )


ID_BATCH = 2000


def load_states(session: Session, document_ids: set[int] | None = None) -> dict[int, DocState]:
    """What search should hold of these documents (None: every active one but glossaries);
    (None, []) for a document out of search."""
    if document_ids is None:
        return _states(session, None)
    states: dict[int, DocState] = {}
    ids = sorted(document_ids)
    for start in range(0, len(ids), ID_BATCH):
        states.update(_states(session, ids[start : start + ID_BATCH]))
    return states


def _states(session: Session, document_ids: list[int] | None) -> dict[int, DocState]:
    searchable = (Document.status == Status.active, Document.kind != Kind.glossary)
    query = select(Document).where(*searchable)
    chunks = (
        select(Chunk.id, Chunk.document_id, Chunk.content_hash, Chunk.section_type)
        .join(DocumentVersion, col(DocumentVersion.id) == Chunk.version_id)
        .join(Document, col(Document.id) == Chunk.document_id)
        .where(*searchable, DocumentVersion.number == Document.current_version)
        .order_by(col(Chunk.id))
    )
    if document_ids is not None:
        query = query.where(col(Document.id).in_(document_ids))
        chunks = chunks.where(col(Chunk.document_id).in_(document_ids))
    documents = list(session.exec(query))
    states: dict[int, DocState] = {doc_id: (None, []) for doc_id in document_ids or ()}
    entries = entries_of(session, documents, every=document_ids is None)
    for document, entry in zip(documents, entries, strict=True):
        assert document.id is not None
        states[document.id] = (entry, [])
    for chunk_id, document_id, content_hash, section in session.exec(chunks):
        assert chunk_id is not None
        states[document_id][1].append((chunk_id, content_hash, section or None))
    return states


def with_outcomes(catalog: Catalog, session: Session) -> Catalog:
    """The catalog with every document's bid outcome read again (a bid's outcome, or a
    bid_result document, changed)."""
    refs = (str(e.meta["bid"]) for e in catalog.docs.values() if e.meta.get("bid"))
    outcomes = bid_outcomes(session, refs)
    docs = dict(catalog.docs)
    for doc_id, entry in catalog.docs.items():
        outcome = outcomes.of_document(entry.kind, entry.meta)
        if outcome != entry.outcome:
            docs[doc_id] = replace(entry, outcome=outcome)
    return Catalog(
        docs, catalog.chunk_doc, catalog.doc_chunks, catalog.chunk_section, catalog.glossary
    )


def entries_of(
    session: Session, documents: list[Document], *, every: bool = False
) -> list[DocEntry]:
    """Catalog entries of these documents (`every`: they are all there are), with their
    grants and bid outcomes, metadata named as the glossary names it."""
    if not documents:
        return []
    grants = grants_of(session, None if every else [d.id for d in documents if d.id is not None])
    outcomes = bid_outcomes(session, (str(d.meta["bid"]) for d in documents if d.meta.get("bid")))
    glossary = load_glossary(session)
    entries = []
    for document in documents:
        assert document.id is not None
        outcome = outcomes.of_document(document.kind, document.meta)
        entry = entry_of(document, grants.get(document.id, set()), outcome)
        entry.meta = glossary.canonical_meta(entry.meta)
        entries.append(entry)
    return entries
