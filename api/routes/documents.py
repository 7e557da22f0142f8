"""Reading documents: list, read, version history and diffs (writes: document_writes.py).

A confidential document the caller may not see answers 404, exactly like a missing one, so its
existence does not leak. `{ref}` is the numeric id or the source id (which may hold slashes, so
the routes with a suffix come before `/documents/{ref}`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from api.deps import ContextDep, DocumentReader, ReadSessionDep, SuggestedReader
from api.error_answers import errors
from api.schemas.documents import (
    DiffPublic,
    DocumentDetail,
    DocumentPublic,
    DocumentsPublic,
    MetadataFilters,
    VersionDetail,
    VersionsPublic,
    metadata_filters,
)
from kb.access import (
    check_service_read,
    grants_of,
    may_see,
    may_see_deleted,
    readable_version,
    readable_versions,
    viewer_of,
    visible_document,
)
from kb.clock import as_utc
from kb.events import document_events
from kb.glossary import load_glossary
from kb.models import Document
from kb.versions import diff_versions, get_version
from kb.vocabulary import Kind, Language, Status

router = APIRouter(tags=["documents"])


# -- reading --------------------------------------------------------------------------------
@router.get("/documents")
def list_documents(
    session: ReadSessionDep,
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
    """Documents the caller may see, newest first; `total` counts only those. Product,
    competitor, customer and industry are matched by any name the glossary gives them."""
    viewer = viewer_of(person)
    query = select(Document).order_by(col(Document.updated_at).desc(), col(Document.id).desc())
    if status is None:
        query = query.where(Document.status != Status.deleted.value)
    elif status == Status.deleted and not may_see_deleted(viewer):
        return DocumentsPublic(total=0, limit=limit, offset=offset, items=[])
    else:
        query = query.where(Document.status == status.value)
    for name, value in (("kind", kind), ("owner", owner), ("language", language)):
        if value:
            query = query.where(getattr(Document, name) == str(value))
    if q:
        query = query.where(col(Document.title).contains(q, autoescape=True))
    glossary = load_glossary(session)
    wanted = metadata_filters(meta_filters).items()
    grants = grants_of(session)
    found = [
        d
        for d in session.exec(query)
        if may_see(viewer, d, grants)
        and all(glossary.holds(d.meta, name, [value]) for name, value in wanted)
    ]
    return DocumentsPublic(
        total=len(found),
        limit=limit,
        offset=offset,
        items=[DocumentPublic.of(d, glossary) for d in found[offset : offset + limit]],
    )


@router.get("/documents/{ref:path}/versions", responses=errors(404))
def get_versions(ref: str, session: ReadSessionDep, person: DocumentReader) -> VersionsPublic:
    """Versions oldest first, each with the fields changed from the one before, and the
    document's other events (reviews, archive, restore, delete, hand-overs)."""
    document = visible_document(session, ref, viewer_of(person))
    assert document.id is not None
    versions = readable_versions(session, document, viewer_of(person))
    return VersionsPublic.of(document, versions, document_events(session, document.id))


@router.get("/documents/{ref:path}/versions/{number}", responses=errors(403, 404))
def get_document_version(
    ref: str, number: int, session: ReadSessionDep, person: SuggestedReader
) -> VersionDetail:
    viewer = viewer_of(person)
    document = visible_document(session, ref, viewer)
    check_service_read(viewer, document)
    version = readable_version(session, document, number, viewer)
    return VersionDetail.of(version)


@router.get("/documents/{ref:path}/diff", responses=errors(404))
def get_diff(
    ref: str,
    session: ReadSessionDep,
    person: DocumentReader,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> DiffPublic:
    """Unified diff between two versions (default: the previous and the current one)."""
    document = visible_document(session, ref, viewer_of(person))
    assert document.id is not None
    to_number = to_version or document.current_version
    from_number = from_version or max(to_number - 1, 1)
    before, after = (
        readable_version(session, document, number, viewer_of(person))
        for number in (from_number, to_number)
    )
    diff = diff_versions(session, document, from_number, to_number)
    return DiffPublic.of(document, before, after, diff)


@router.get("/documents/{ref:path}", responses=errors(403, 404))
def get_document(
    ref: str, context: ContextDep, session: ReadSessionDep, person: SuggestedReader
) -> DocumentDetail:
    """The current version's text and the document's metadata. A service identity reads
    proposals and Q&A (what it is suggested) only. The view is noted and written later in a
    batch: a read writes nothing, so it can use a read replica (KB_DATABASE_READ_URL)."""
    viewer = viewer_of(person)
    document = visible_document(session, ref, viewer)
    check_service_read(viewer, document)
    version = get_version(session, document, document.current_version)
    assert document.id is not None
    viewed = context.views.record(document.id)
    detail = DocumentDetail.of_version(document, version, load_glossary(session))
    detail.viewed_at = as_utc(viewed)
    return detail
