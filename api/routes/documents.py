"""Documents: list, read, version history and diffs; contribute, upload, update, delete, archive.

A confidential document the caller may not see answers 404, exactly like a missing one, so its
existence does not leak. `{ref}` is the numeric id or the source id (which may hold slashes, so
the routes with a suffix come before `/documents/{ref}`). Writes happen in one transaction, then
the search indexes are synced before the response: a contribution is searchable as soon as the
call returns.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, UploadFile
from sqlmodel import Session, col, select

from api.deps import ContextDep, Contributor, Manager, SessionDep, require
from api.schemas import (
    Confidentiality,
    DiffPublic,
    DocumentCreate,
    DocumentDetail,
    DocumentPublic,
    DocumentSaved,
    DocumentsPublic,
    DocumentUpdate,
    DocumentUploaded,
    Kind,
    NearDuplicate,
    StatusChanged,
    VersionDetail,
    VersionPublic,
    VersionsPublic,
)
from ingest.contributions import Contribution, contribute, read_upload, revise, store_upload
from kb.access import can_see
from kb.clock import utcnow
from kb.db import transaction
from kb.errors import Forbidden, NotFound
from kb.models import Document, DocumentVersion, Person
from kb.people import viewer_of
from kb.store import (
    SaveResult,
    diff_versions,
    get_version,
    grants_of,
    list_versions,
    resolve_document,
)
from kb.store import set_status as store_set_status
from search.duplicates import near_duplicates

logger = logging.getLogger(__name__)
router = APIRouter(tags=["documents"])

# Reading documents is for people; a service identity searches, suggests and records reuse.
DocumentReader = Annotated[Person, Depends(require("reader", "contributor", "manager"))]
META_FILTERS = {
    "product": "products",
    "competitor": "competitors",
    "tag": "tags",
    "customer": "customer",
    "industry": "industry",
}
NEAR_DUPLICATE_CHECK_MAX = 20


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


def may_see(person: Person, document: Document, grants: dict[int, set[str]]) -> bool:
    return can_see(
        viewer_of(person),
        confidentiality=document.confidentiality,
        owner=document.owner,
        grants=frozenset(grants.get(document.id or -1, ())),
    )


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


def version_public(version: DocumentVersion) -> VersionPublic:
    return VersionPublic(
        number=version.number,
        title=version.title,
        author=version.author,
        change_note=version.change_note,
        created_at=version.created_at,
        content_hash=version.content_hash,
    )


# -- reading --------------------------------------------------------------------------------
@router.get("/documents")
def list_documents(
    session: SessionDep,
    person: DocumentReader,
    kind: Kind | None = None,
    owner: str | None = None,
    status: Annotated[str | None, Query(pattern="^(active|archived|deleted)$")] = None,
    product: str | None = None,
    competitor: str | None = None,
    customer: str | None = None,
    industry: str | None = None,
    tag: str | None = None,
    language: str | None = None,
    q: Annotated[str | None, Query(description="title contains")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentsPublic:
    """Documents the caller may see, newest first; `total` counts only those."""
    query = select(Document).order_by(col(Document.updated_at).desc(), col(Document.id).desc())
    if status is None:
        query = query.where(Document.status != "deleted")
    elif status == "deleted" and person.role != "manager":
        return DocumentsPublic(total=0, limit=limit, offset=offset, items=[])
    else:
        query = query.where(Document.status == status)
    for name, value in (("kind", kind), ("owner", owner), ("language", language)):
        if value:
            query = query.where(getattr(Document, name) == value)
    if q:
        query = query.where(col(Document.title).contains(q))
    wanted = {
        META_FILTERS[k]: v.strip().lower()
        for k, v in (
            ("product", product),
            ("competitor", competitor),
            ("tag", tag),
            ("customer", customer),
            ("industry", industry),
        )
        if v
    }
    grants = grants_of(session)
    found = [
        d
        for d in session.exec(query)
        if may_see(person, d, grants) and _meta_matches(d.meta, wanted)
    ]
    return DocumentsPublic(
        total=len(found),
        limit=limit,
        offset=offset,
        items=[public(d) for d in found[offset : offset + limit]],
    )


def _meta_matches(meta: dict[str, Any], wanted: dict[str, str]) -> bool:
    for name, value in wanted.items():
        found = meta.get(name)
        values = found if isinstance(found, list) else [found] if found else []
        if name == "competitors" and meta.get("competitor"):
            values = [*values, meta["competitor"]]
        if value not in {str(v).strip().lower() for v in values}:
            return False
    return True


@router.get("/documents/{ref:path}/versions")
def get_versions(ref: str, session: SessionDep, person: DocumentReader) -> VersionsPublic:
    document = visible_document(session, ref, person)
    assert document.id is not None
    return VersionsPublic(
        document_id=document.id,
        source_id=document.source_id,
        current_version=document.current_version,
        versions=[version_public(v) for v in list_versions(session, document)],
    )


@router.get("/documents/{ref:path}/versions/{number}")
def get_document_version(
    ref: str, number: int, session: SessionDep, person: DocumentReader
) -> VersionDetail:
    document = visible_document(session, ref, person)
    version = get_version(session, document, number)
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
    diff = diff_versions(session, document, from_number, to_number)
    return DiffPublic(
        document_id=document.id, from_version=from_number, to_version=to_number, diff=diff
    )


@router.get("/documents/{ref:path}")
def get_document(ref: str, session: SessionDep, person: DocumentReader) -> DocumentDetail:
    """The current version's text and the document's metadata; records when it was viewed."""
    document = visible_document(session, ref, person)
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
def saved(result: SaveResult) -> DocumentSaved:
    document = result.document
    assert document.id is not None
    return DocumentSaved(
        id=document.id,
        source_id=document.source_id,
        version=result.version.number,
        kind=document.kind,
        title=document.title,
        changed=result.outcome != "unchanged",
    )


def make_searchable(context: ContextDep) -> None:
    """Bring the indexes in step after a committed write. The write stands even if this fails
    (the indexes are derived): the next search retries, and `kb check` shows the gap."""
    try:
        context.indexes.sync()
    except Exception:  # noqa: BLE001 - any failure here must not turn a saved write into a 500
        logger.exception("index sync after a committed write failed; the next search retries")


def with_near_duplicates(
    documents: list[DocumentSaved], person: Person, context: ContextDep
) -> list[DocumentSaved]:
    """Warn (never block) about existing documents the caller can see that are very alike
    (skipped for bulk uploads: a warning per row of a large CSV would help nobody)."""
    if len(documents) > NEAR_DUPLICATE_CHECK_MAX:
        return documents
    try:
        found = near_duplicates(
            context.indexes,
            [d.id for d in documents],
            viewer=viewer_of(person),
            threshold=context.settings.near_duplicate_threshold,
        )
    except Exception:  # noqa: BLE001 - a warning that cannot be computed is left out
        logger.exception("near-duplicate check failed")
        return documents
    for document in documents:
        document.near_duplicates = [NearDuplicate(**m) for m in found.get(document.id, [])]
    return documents


@router.post("/documents", status_code=201)
def create_document(
    body: DocumentCreate, person: Contributor, context: ContextDep
) -> DocumentSaved:
    """Contribute a document: the caller is its author (and owner unless `owner` is given).
    The response names near-duplicates the caller can see, if any."""
    contribution = Contribution(
        fields=body.model_dump(exclude_none=True, exclude={"text", "change_note"}),
        text=body.text,
        change_note=body.change_note,
    )
    with transaction(context.engine) as session:
        result = contribute(session, context.ingester.budget, contribution, author=person.name)
    make_searchable(context)
    return with_near_duplicates([saved(result)], person, context)[0]


@router.post("/documents/upload", status_code=201)
def upload_documents(
    file: UploadFile,
    person: Contributor,
    context: ContextDep,
    kind: Annotated[Kind | None, Form()] = None,
    owner: Annotated[str | None, Form()] = None,
    confidentiality: Annotated[Confidentiality | None, Form()] = None,
    change_note: Annotated[str | None, Form()] = None,
) -> DocumentUploaded:
    """A file of any format ingest reads; a CSV or JSONL file may hold several documents.
    All of them are stored, or none (a bad record fails the whole upload)."""
    limit = context.settings.max_file_bytes
    data = file.file.read(limit + 1)
    overrides = {
        k: v
        for k, v in (("kind", kind), ("owner", owner), ("confidentiality", confidentiality))
        if v
    }
    prepared = read_upload(
        context.ingester.budget,
        data,
        file.filename or "upload",
        overrides=overrides,
        author=person.name,
        max_bytes=limit,
    )
    with transaction(context.engine) as session:
        results = store_upload(session, prepared, author=person.name, change_note=change_note)
    make_searchable(context)
    return DocumentUploaded(
        documents=with_near_duplicates([saved(r) for r in results], person, context)
    )


@router.put("/documents/{ref:path}")
def update_document(
    ref: str, body: DocumentUpdate, person: Contributor, context: ContextDep
) -> DocumentSaved:
    """A new version. A stale `base_version` is refused (409, with `current_version`)."""
    contribution = Contribution(
        fields=body.model_dump(exclude_unset=True, exclude={"text", "change_note", "base_version"}),
        text=body.text,
        change_note=body.change_note,
    )
    with transaction(context.engine) as session:
        document = visible_document(session, ref, person)
        wanted = contribution.fields.get("status", document.status)
        if wanted != document.status and person.role != "manager":
            raise Forbidden("only a manager may archive or restore a document (field 'status')")
        check_access_changes(session, document, contribution.fields, person)
        result = revise(
            session,
            context.ingester.budget,
            document,
            contribution,
            base_version=body.base_version,
            author=person.name,
        )
    make_searchable(context)
    return saved(result)


def check_access_changes(
    session: Session, document: Document, fields: dict[str, Any], person: Person
) -> None:
    """Who may see a document (confidentiality, grants, owner) is for its owner or a manager
    to change, not for everyone who can edit it."""
    if person.role == "manager" or person.name == document.owner:
        return
    assert document.id is not None
    current = {
        "confidentiality": document.confidentiality,
        "owner": document.owner,
        "grants": sorted(grants_of(session, [document.id]).get(document.id, set())),
    }
    for name, value in current.items():
        if name in fields and _normalised(fields[name]) != _normalised(value):
            raise Forbidden(
                f"only the owner ({document.owner or 'none'}) or a manager may change '{name}'"
            )


def _normalised(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


@router.delete("/documents/{ref:path}")
def delete_document(ref: str, person: Manager, context: ContextDep) -> StatusChanged:
    """Soft delete: out of search and listings, history kept (a PUT restores it)."""
    return _set_status(ref, "deleted", person, context)


@router.post("/documents/{ref:path}/archive")
def archive_document(ref: str, person: Manager, context: ContextDep) -> StatusChanged:
    return _set_status(ref, "archived", person, context)


def _set_status(ref: str, status: str, person: Person, context: ContextDep) -> StatusChanged:
    with transaction(context.engine) as session:
        document = visible_document(session, ref, person)
        changed = store_set_status(session, document, status, actor=person.name)
    make_searchable(context)
    assert document.id is not None
    return StatusChanged(id=document.id, status=document.status, changed=changed)
