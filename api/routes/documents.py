"""Reading documents: list, read, version history and diffs (writes: document_writes.py).

A confidential document the caller may not see answers 404, exactly like a missing one, so its
existence does not leak. `{ref}` is the numeric id or the source id (which may hold slashes, so
the routes with a suffix come before `/documents/{ref}`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, col, select

from api.deps import SessionDep, require
from api.schemas.documents import (
    DiffPublic,
    DocumentDetail,
    DocumentPublic,
    DocumentsPublic,
    EventPublic,
    FieldChangePublic,
    MetadataFilters,
    VersionDetail,
    VersionPublic,
    VersionsPublic,
    metadata_filters,
)
from kb.access import can_see, check_service_read, grants_of, version_confidentiality
from kb.clock import utcnow
from kb.errors import NotFound
from kb.events import document_events
from kb.models import Document, DocumentVersion, Person
from kb.people import viewer_of
from kb.store import resolve_document
from kb.versions import diff_versions, field_changes, get_version, list_versions
from kb.vocabulary import Kind, Language, Status, has_value

router = APIRouter(tags=["documents"])

# Reading documents is for people; a service identity searches, suggests and records reuse,
# and reads the whole of what it is suggested (kb.access.check_service_read).
DocumentReader = Annotated[Person, Depends(require("reader", "contributor", "manager"))]
SuggestedReader = Annotated[Person, Depends(require("reader", "contributor", "manager", "service"))]


def visible_document(session: Session, ref: str | int, person: Person) -> Document:
    """The document `ref` (numeric id or source id) names, if `person` may see it; else 404.
    Deleted documents are visible to managers only."""
    missing = NotFound(f"no document with id or source id '{ref}'")
    try:
        document = resolve_document(session, ref)
    except NotFound:
        raise missing from None
    if document.status == "deleted" and person.role != "manager":
        raise missing
    assert document.id is not None
    if not may_see(person, document, grants_of(session, [document.id])):
        raise missing
    return document


def may_see(
    person: Person,
    document: Document,
    grants: dict[int, set[str]],
    version: DocumentVersion | None = None,
) -> bool:
    """Whether `person` may see `document` (or, given, one of its versions)."""
    level = document.confidentiality
    if version is not None:
        level = version_confidentiality(level, version.meta)
    return can_see(
        viewer_of(person),
        confidentiality=level,
        owner=document.owner,
        grants=frozenset(grants.get(document.id or -1, ())),
    )


def visible_versions(session: Session, document: Document, person: Person) -> list[DocumentVersion]:
    """The versions of a visible document that `person` may read: not those written while the
    document was confidential, unless `person` may see confidential documents of its owner."""
    assert document.id is not None
    grants = grants_of(session, [document.id])
    return [v for v in list_versions(session, document) if may_see(person, document, grants, v)]


def visible_version(
    session: Session, document: Document, number: int, person: Person
) -> DocumentVersion:
    version = get_version(session, document, number)
    if not may_see(person, document, grants_of(session, [document.id or -1]), version):
        raise NotFound(f"document {document.id} has no version {number}")
    return version


def public(document: Document) -> DocumentPublic:
    assert document.id is not None
    return DocumentPublic(
        id=document.id,
        source_id=document.source_id,
        kind=document.kind,
        title=document.title,
        language=document.language,
        owner=document.owner,
        status=document.status,
        confidentiality=document.confidentiality,
        version=document.current_version,
        metadata=document.meta,
        created_at=document.created_at,
        updated_at=document.updated_at,
        content_date=document.content_date,
        reviewed_at=document.reviewed_at,
        viewed_at=document.viewed_at,
    )


def version_public(
    version: DocumentVersion, previous: DocumentVersion | None = None
) -> VersionPublic:
    """A version; with `previous`, the fields changed since it (none for a first version)."""
    changes = field_changes(previous, version) if previous is not None else []
    return VersionPublic(
        number=version.number,
        title=version.title,
        author=version.author,
        change_note=version.change_note,
        created_at=version.created_at,
        content_hash=version.content_hash,
        changes=[FieldChangePublic(**c.as_dict()) for c in changes],
    )


# -- reading --------------------------------------------------------------------------------
@router.get("/documents")
def list_documents(
    session: SessionDep,
    person: DocumentReader,
    meta_filters: Annotated[MetadataFilters, Query()],
    kind: Kind | None = None,
    owner: str | None = None,
    status: Status | None = None,
    language: Language | None = None,
    q: Annotated[str | None, Query(description="title contains")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentsPublic:
    """Documents the caller may see, newest first; `total` counts only those."""
    query = select(Document).order_by(col(Document.updated_at).desc(), col(Document.id).desc())
    if status is None:
        query = query.where(Document.status != Status.deleted.value)
    elif status == Status.deleted and person.role != "manager":
        return DocumentsPublic(total=0, limit=limit, offset=offset, items=[])
    else:
        query = query.where(Document.status == status.value)
    for name, value in (("kind", kind), ("owner", owner), ("language", language)):
        if value:
            query = query.where(getattr(Document, name) == str(value))
    if q:
        query = query.where(col(Document.title).contains(q, autoescape=True))
    wanted = metadata_filters(meta_filters)
    grants = grants_of(session)
    found = [
        d
        for d in session.exec(query)
        if may_see(person, d, grants)
        and all(has_value(d.meta, name, [value]) for name, value in wanted.items())
    ]
    return DocumentsPublic(
        total=len(found),
        limit=limit,
        offset=offset,
        items=[public(d) for d in found[offset : offset + limit]],
    )


@router.get("/documents/{ref:path}/versions")
def get_versions(ref: str, session: SessionDep, person: DocumentReader) -> VersionsPublic:
    """Versions oldest first, each with the fields changed from the one before, and the
    document's other events (reviews, archive, restore, delete, hand-overs)."""
    document = visible_document(session, ref, person)
    assert document.id is not None
    versions = visible_versions(session, document, person)
    previous = {v.number: v for v in versions}
    return VersionsPublic(
        document_id=document.id,
        source_id=document.source_id,
        current_version=document.current_version,
        versions=[version_public(v, previous.get(v.number - 1)) for v in versions],
        events=[
            EventPublic.model_validate(e, from_attributes=True)
            for e in document_events(session, document.id)
        ],
    )


@router.get("/documents/{ref:path}/versions/{number}")
def get_document_version(
    ref: str, number: int, session: SessionDep, person: SuggestedReader
) -> VersionDetail:
    document = visible_document(session, ref, person)
    check_service_read(person.role, document)
    version = visible_version(session, document, number, person)
    return VersionDetail(
        **version_public(version).model_dump(),
        document_id=version.document_id,
        text=version.text,
        metadata=version.meta,
    )


@router.get("/documents/{ref:path}/diff")
def get_diff(
    ref: str,
    session: SessionDep,
    person: DocumentReader,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> DiffPublic:
    """Unified diff between two versions (default: the previous and the current one)."""
    document = visible_document(session, ref, person)
    assert document.id is not None
    to_number = to_version or document.current_version
    from_number = from_version or max(to_number - 1, 1)
    before, after = (
        visible_version(session, document, number, person) for number in (from_number, to_number)
    )
    diff = diff_versions(session, document, from_number, to_number)
    return DiffPublic(
        document_id=document.id,
        from_version=from_number,
        to_version=to_number,
        changes=[FieldChangePublic(**c.as_dict()) for c in field_changes(before, after)],
        diff=diff,
    )


@router.get("/documents/{ref:path}")
def get_document(ref: str, session: SessionDep, person: SuggestedReader) -> DocumentDetail:
    """The current version's text and the document's metadata; records when it was viewed.
    A service identity reads proposals and Q&A (what it is suggested) only."""
    document = visible_document(session, ref, person)
    check_service_read(person.role, document)
    version = get_version(session, document, document.current_version)
    document.viewed_at = utcnow()
    session.add(document)
    session.commit()
    return DocumentDetail(
        **public(document).model_dump(),
        text=version.text,
        author=version.author,
        change_note=version.change_note,
    )


# -- writing --------------------------------------------------------------------------------
