"""Routes that write documents: contribute, upload, update, delete, archive.

Each write is one transaction, which takes its place (`seq`) in the change log. The write's
chunks are embedded, and the response waits until this replica's search state holds them: a
submission is searchable here as soon as the response returns, and on any replica by a search
that passes the returned `seq` as `min_seq`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import ContextDep, Contributor, Manager
from api.error_answers import errors
from api.idempotency import Once, OnceDep
from api.schemas.documents import (
    DocumentCreate,
    DocumentFields,
    DocumentSaved,
    DocumentUpdate,
    DocumentUploaded,
    StatusChanged,
)
from api.submissions import new_submission, revision_of
from api.writes import make_searchable, saved, with_near_duplicates
from ingest.submission import revise_or_hold, store_upload, submit_new
from ingest.uploads import read_upload
from kb.access import check_changes, viewer_of, visible_document
from kb.db import transaction
from kb.errors import InvalidInput, NotFound
from kb.lifecycle import set_status as store_set_status
from kb.models import Document, PendingEdit, Person
from kb.vocabulary import Confidentiality, Kind

router = APIRouter(tags=["documents"])


@router.post("/documents", status_code=201, responses=errors(403, 409))
def create_document(
    body: DocumentCreate, person: Contributor, context: ContextDep, once: OnceDep
) -> DocumentSaved:
    """Contribute a document: the caller is its author (and owner unless `owner` is given).
    The response names near-duplicates the caller can see, if any."""
    submission = new_submission(body)
    with once.replaying_a_twin(), transaction(context.engine) as session:
        result = submit_new(
            session,
            context.ingester.budget,
            submission,
            author=person.name,
            viewer=viewer_of(person),
        )
        document = saved(result)
        once.remember(session, 201, document, [result.document.id])
    document.seq = make_searchable(context, session, [result.document.id])
    return once.completed(with_near_duplicates([document], person, context)[0])


UPLOAD_FORM_FIELDS = {
    "file",
    "title",
    "kind",
    "owner",
    "confidentiality",
    "metadata",
    "change_note",
}


async def only_known_form_fields(request: Request) -> None:
    """A misspelt form field is a 422 that names it, as a misspelt JSON field is; so is a
    second file (one file per upload, which may hold several documents)."""
    form = await request.form()
    if len(form.getlist("file")) > 1:
        raise InvalidInput("send one file per upload (a CSV or JSONL file may hold many)")
    unknown = sorted(set(form.keys()) - UPLOAD_FORM_FIELDS)
    if unknown:
        raise InvalidInput(
            f"unknown form field(s) {', '.join(unknown)}; the upload takes "
            f"{', '.join(sorted(UPLOAD_FORM_FIELDS))}"
        )


def upload_metadata(raw: str | None) -> dict[str, Any]:
    """The `metadata` form field: a JSON object of the fields front matter takes."""
    if not raw:
        return {}
    try:
        fields = DocumentFields.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'the object'}: {e['msg']}"
            for e in exc.errors()
        )
        raise InvalidInput(f"metadata: {problems}") from None
    return fields.model_dump(mode="json", exclude_none=True, exclude={"change_note"})


@router.post(
    "/documents/upload",
    status_code=201,
    dependencies=[Depends(only_known_form_fields)],
    responses=errors(403, 409),
)
def upload_documents(
    file: UploadFile,
    person: Contributor,
    context: ContextDep,
    once: OnceDep,
    title: Annotated[
        str | None, Form(max_length=500, description="for a file that holds one document")
    ] = None,
    kind: Annotated[Kind | None, Form()] = None,
    owner: Annotated[str | None, Form()] = None,
    confidentiality: Annotated[Confidentiality | None, Form()] = None,
    metadata: Annotated[
        str | None,
        Form(
            description='JSON object of front-matter fields, e.g. {"competitor": "华为云", '
            '"source": "客户访谈", "observed": "2026-11-02"}'
        ),
    ] = None,
    change_note: Annotated[str | None, Form()] = None,
) -> DocumentUploaded:
    """A file of any format ingest reads; a CSV or JSONL file may hold several documents.
    All of them are stored, or none (a bad record fails the whole upload). Form fields, and
    the fields in `metadata`, apply to every document in the file."""
    limit = context.settings.max_file_bytes
    data = file.file.read(limit + 1)
    given = (
        ("title", title),
        ("kind", kind),
        ("owner", owner),
        ("confidentiality", confidentiality),
    )
    overrides = {**upload_metadata(metadata), **{k: v for k, v in given if v}}
    prepared = read_upload(
        context.ingester.budget,
        data,
        file.filename or "upload",
        overrides=overrides,
        author=person.name,
        max_bytes=limit,
    )
    with once.replaying_a_twin(), transaction(context.engine) as session:
        results = store_upload(
            session,
            prepared,
            author=person.name,
            change_note=change_note,
            viewer=viewer_of(person),
        )
        documents = [saved(r) for r in results]
        ids: list[int | None] = [d.id for d in documents]
        once.remember(session, 201, DocumentUploaded(documents=documents), ids)
    seq = make_searchable(context, session, ids)
    for document in documents:
        document.seq = seq
    uploaded = DocumentUploaded(documents=with_near_duplicates(documents, person, context), seq=seq)
    return once.completed(uploaded)


@router.put("/documents/{ref:path}", responses=errors(403, 404, 409))
def update_document(
    ref: str, body: DocumentUpdate, person: Contributor, context: ContextDep, once: OnceDep
) -> DocumentSaved:
    """A new version. A stale `base_version` is refused (409, with `current_version`)."""
    submission = revision_of(body)
    with once.replaying_a_twin(), transaction(context.engine) as session:
        document = visible_document(session, ref, viewer_of(person))
        check_changes(session, viewer_of(person), document, submission.fields)
        result = revise_or_hold(
            session,
            context.ingester.budget,
            document,
            submission,
            base_version=body.base_version,
            author=person.name,
        )
        if isinstance(result, PendingEdit):
            answer, revised_id = held(document, result), None
        else:
            answer, revised_id = saved(result), result.document.id
        once.remember(session, 200, answer, [revised_id])
    if revised_id is not None:
        answer.seq = make_searchable(context, session, [revised_id])
    return once.completed(answer)


def held(document: Document, pending: PendingEdit) -> DocumentSaved:
    """A change to an approved Q&A that its owner's team wants the owner to accept first:
    kept as a pending edit; the current version stays."""
    assert document.id is not None
    return DocumentSaved(
        id=document.id,
        source_id=document.source_id,
        version=document.current_version,
        kind=document.kind,
        title=document.title,
        changed=False,
        pending_edit=pending.id,
    )


@router.delete("/documents/{ref:path}", responses=errors(404))
def delete_document(
    ref: str,
    person: Manager,
    context: ContextDep,
    once: OnceDep,
    duplicate_of: str | None = None,
) -> StatusChanged:
    """Soft delete: out of search and listings, history kept (`.../restore` brings it back).
    `duplicate_of` names the document this one is a near-duplicate of (the one kept):
    contributions count such a deletion apart from others."""
    return _set_status(ref, "deleted", person, context, once, duplicate_of)


@router.post("/documents/{ref:path}/archive", responses=errors(404))
def archive_document(
    ref: str, person: Manager, context: ContextDep, once: OnceDep
) -> StatusChanged:
    return _set_status(ref, "archived", person, context, once)


@router.post("/documents/{ref:path}/restore", responses=errors(404))
def restore_document(
    ref: str, person: Manager, context: ContextDep, once: OnceDep
) -> StatusChanged:
    """Bring an archived (or deleted) document back to active, recorded as a 'restore' event
    (no new version)."""
    return _set_status(ref, "active", person, context, once)


def _set_status(
    ref: str,
    status: str,
    person: Person,
    context: ContextDep,
    once: Once,
    duplicate_of: str | None = None,
) -> StatusChanged:
    with once.replaying_a_twin(), transaction(context.engine) as session:
        document = visible_document(session, ref, viewer_of(person))
        original = _kept_copy(session, duplicate_of, person) if duplicate_of else None
        changed = store_set_status(
            session, document, status, actor=person.name, duplicate_of=original
        )
        assert document.id is not None
        answer = StatusChanged(id=document.id, status=document.status, changed=changed)
        once.remember(session, 200, answer, [])
    answer.seq = make_searchable(context, session)
    return once.completed(answer)


def _kept_copy(session: Session, ref: str, person: Person) -> Document:
    """The document a deleted one duplicates (a bad reference is bad input, not a 404)."""
    try:
        return visible_document(session, ref, viewer_of(person))
    except NotFound as exc:
        raise InvalidInput(f"duplicate_of: {exc.message}") from None
