"""Contribute: a form per kind (new document) and editing with base_version. Both check for
near-duplicates before saving, and nothing typed is lost on an error or a conflict."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import ContextDep, SessionDep
from api.schemas.documents import DocumentCreate, DocumentUpdate
from api.submissions import new_submission, revision_of
from api.web.forms import (
    ALL_FIELDS,
    field_errors,
    fields_for,
    form_text,
    place_message,
    request_fields,
)
from api.web.pages import page_router, redirect, render
from api.web.session import FormValues, PageContributor
from api.writes import make_searchable, similar_before_saving
from ingest.submission import Submission, prepare_submission, revise_or_hold, save_new
from kb.access import check_changes, viewer_of, visible_document
from kb.db import transaction
from kb.documents import ROW_FIELDS
from kb.errors import InvalidInput, KBError, VersionConflict
from kb.models import PendingEdit
from kb.store import SaveResult
from kb.versions import get_version
from kb.vocabulary import Kind
from kb.vocabulary import values as choices

router = page_router()
NAMES = ("title", "text", "change_note", *ALL_FIELDS)


@router.get("/contribute", response_class=HTMLResponse)
def contribute_page(request: Request, person: PageContributor, kind: str = "") -> HTMLResponse:
    if kind and kind not in choices(Kind):
        raise InvalidInput(f"unknown kind '{kind}'; use one of {', '.join(choices(Kind))}")
    return render(request, "contribute.html", **_form_page(kind, {}, {}, []))


def _form_page(
    kind: str, values: dict[str, str], errors: dict[str, str], similar: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "kinds": choices(Kind),
        "fields": fields_for(kind) if kind else [],
        "values": values,
        "errors": errors,
        "similar": similar,
    }


@router.post("/contribute", response_class=HTMLResponse)
def contribute_submit(
    request: Request, person: PageContributor, context: ContextDep, values: FormValues
) -> Response:
    kind = values.get("kind", "")
    if kind not in choices(Kind):
        raise InvalidInput(f"unknown kind '{kind}'; use one of {', '.join(choices(Kind))}")
    body = {
        "kind": kind,
        "title": values.get("title", ""),
        "text": values.get("text", ""),
        "change_note": values.get("change_note") or None,
        **request_fields(values, kind),
    }
    try:
        create = DocumentCreate.model_validate(body)
    except ValidationError as exc:
        page = _form_page(kind, values, field_errors(exc), [])
        return render(request, "contribute.html", status=422, **page)
    return _save_new(request, person, context, new_submission(create), values)


def _save_new(
    request: Request,
    person: Any,
    context: ContextDep,
    submission: Submission,
    values: dict[str, str],
) -> Response:
    kind = values["kind"]
    try:
        with transaction(context.engine) as session:
            prepared = prepare_submission(
                session,
                context.ingester.budget,
                submission,
                author=person.name,
                viewer=viewer_of(person),
            )
            similar = (
                []
                if values.get("save_anyway")
                else similar_before_saving(context, prepared, person)
            )
            if similar:
                session.rollback()
                return render(request, "contribute.html", **_form_page(kind, values, {}, similar))
            result = save_new(
                session, prepared, author=person.name, change_note=submission.change_note
            )
    except KBError as exc:
        page = _form_page(kind, values, place_message(exc.message, NAMES), [])
        return render(request, "contribute.html", status=exc.status, **page)
    make_searchable(context, session, [result.document.id])
    return redirect(f"/doc/{result.document.id}")


@router.get("/doc/{document_id}/edit", response_class=HTMLResponse)
def edit_page(
    request: Request, document_id: int, person: PageContributor, session: SessionDep
) -> HTMLResponse:
    document = visible_document(session, document_id, viewer_of(person))
    version = get_version(session, document, document.current_version)
    values = _current_values(document, version)
    return render(request, "edit.html", **_edit_page(document, values, {}, None, []))


def _current_values(document: Any, version: Any) -> dict[str, str]:
    meta = {**version.meta, "owner": document.owner, "confidentiality": document.confidentiality}
    values = {name: form_text(meta.get(name)) for name in ALL_FIELDS}
    values.update(
        title=version.title, text=version.text, base_version=str(document.current_version)
    )
    return values


def _edit_page(
    document: Any,
    values: dict[str, str],
    errors: dict[str, str],
    conflict: Any,
    similar: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "document": document,
        "fields": fields_for(document.kind),
        "values": values,
        "errors": errors,
        "conflict": conflict,
        "similar": similar,
    }


@router.post("/doc/{document_id}/edit", response_class=HTMLResponse)
def edit_submit(
    request: Request,
    document_id: int,
    person: PageContributor,
    context: ContextDep,
    values: FormValues,
) -> Response:
    with transaction(context.engine) as session:
        document = visible_document(session, document_id, viewer_of(person))
        current = get_version(session, document, document.current_version)
        before = _current_values(document, current)
    changed = _changed_fields(values, before, document.kind)
    try:
        update = DocumentUpdate.model_validate(
            {"base_version": int(values.get("base_version") or 0), **changed}
        )
    except (ValidationError, ValueError) as exc:
        errors = field_errors(exc) if isinstance(exc, ValidationError) else {"": str(exc)}
        return render(
            request, "edit.html", status=422, **_edit_page(document, values, errors, None, [])
        )
    try:
        result = _save_revision(context, document_id, person, update)
    except VersionConflict as exc:
        return _conflict_page(request, document_id, person, context, values, exc)
    except KBError as exc:
        page = _edit_page(document, values, place_message(exc.message, NAMES), None, [])
        return render(request, "edit.html", status=exc.status, **page)
    if isinstance(result, SaveResult):
        make_searchable(context, session, [result.document.id])
        return redirect(f"/doc/{document_id}")
    return redirect(f"/doc/{document_id}?held=1")  # a pending edit: the current version stays


def _save_revision(
    context: ContextDep, document_id: int, person: Any, update: DocumentUpdate
) -> SaveResult | PendingEdit:
    """A new version (or a pending edit) from the person's edit, as PUT /documents/{id}."""
    submission = revision_of(update)
    with transaction(context.engine) as session:
        document = visible_document(session, document_id, viewer_of(person))
        check_changes(session, viewer_of(person), document, submission.fields)
        return revise_or_hold(
            session,
            context.ingester.budget,
            document,
            submission,
            base_version=update.base_version,
            author=person.name,
        )


def _changed_fields(values: dict[str, str], before: dict[str, str], kind: str) -> dict[str, Any]:
    """What the person changed: fields whose text differs from the version they started from
    (an emptied field is cleared); the rest keep their values."""
    parsed = request_fields(values, kind)
    changed: dict[str, Any] = {}
    for name in ("title", "text"):
        if values.get(name, "") != before.get(name, ""):
            changed[name] = values.get(name, "")
    for field in fields_for(kind):
        if values.get(field.name, "").strip() != before.get(field.name, "").strip():
            changed[field.name] = parsed.get(field.name)
    if values.get("change_note"):
        changed["change_note"] = values["change_note"]
    return {
        k: v for k, v in changed.items() if not (k in ROW_FIELDS and v is None and k != "owner")
    }


def _conflict_page(
    request: Request,
    document_id: int,
    person: Any,
    context: ContextDep,
    values: dict[str, str],
    exc: VersionConflict,
) -> Response:
    """Someone saved first: show their text beside this person's, keep everything typed, and
    let the next save build on the current version."""
    with transaction(context.engine) as session:
        document = visible_document(session, document_id, viewer_of(person))
        current = get_version(session, document, document.current_version)
    kept = {**values, "base_version": str(exc.current_version)}
    page = _edit_page(document, kept, {}, current, [])
    return render(request, "edit.html", status=409, **page)
