"""A document: rendered text, metadata, versions, side-by-side diff, verify, archive /
restore / delete, and where it was reused."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ContextDep, SessionDep
from api.web.diff_view import field_changes, side_by_side
from api.web.pages import page_router, redirect, render
from api.web.session import CsrfChecked, PageManager, PageReader
from api.writes import make_searchable
from kb.access import (
    Action,
    may_change_status,
    may_review,
    permits,
    readable_version,
    readable_versions,
    viewer_of,
    visible_document,
)
from kb.clock import utcnow
from kb.db import transaction
from kb.errors import Forbidden, InvalidInput
from kb.freshness import freshness_of, owner_is_active
from kb.lifecycle import set_status
from kb.reuse import reuses_of
from kb.review import review_document
from kb.versions import get_version

router = page_router()
STATUS_ACTIONS = {"archive": "archived", "restore": "active", "delete": "deleted"}


@router.get("/doc/{document_id}", response_class=HTMLResponse)
def document_page(
    request: Request,
    document_id: int,
    person: PageReader,
    session: SessionDep,
    context: ContextDep,
    held: bool = False,
) -> HTMLResponse:
    """A document; `held`: the person's edit waits for the owner (kb.edits)."""
    document = visible_document(session, document_id, viewer_of(person))
    version = get_version(session, document, document.current_version)
    versions = readable_versions(session, document, viewer_of(person))
    freshness = freshness_of(
        document,
        now=utcnow(),
        owner_active=owner_is_active(session, document.owner),
        due_soon_days=context.settings.due_soon_days,
    )
    reuses = reuses_of(session, document_id)
    context.views.record(document_id)  # written in a batch, as GET /documents/{id} does
    return render(
        request,
        "document.html",
        document=document,
        version=version,
        versions=versions,
        freshness=freshness,
        reuses=reuses,
        may_review=may_review(viewer_of(person), owner=document.owner),
        may_edit=permits(person.role, Action.write),
        may_change_status=may_change_status(viewer_of(person)),
        held=held,
    )


@router.get("/doc/{document_id}/diff", response_class=HTMLResponse)
def diff_page(
    request: Request,
    document_id: int,
    person: PageReader,
    session: SessionDep,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> HTMLResponse:
    document = visible_document(session, document_id, viewer_of(person))
    to_number = to_version or document.current_version
    from_number = from_version or max(to_number - 1, 1)
    before = readable_version(session, document, from_number, viewer_of(person))
    after = readable_version(session, document, to_number, viewer_of(person))
    return render(
        request,
        "diff.html",
        document=document,
        before=before,
        after=after,
        versions=readable_versions(session, document, viewer_of(person)),
        rows=side_by_side(before.text, after.text),
        fields=field_changes(before, after),
    )


@router.post("/doc/{document_id}/verify", dependencies=[CsrfChecked])
def verify(
    document_id: int,
    person: PageReader,
    context: ContextDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with transaction(context.engine) as session:
        document = visible_document(session, document_id, viewer_of(person))
        review_document(session, document, actor=person.name, viewer=viewer_of(person), note=note)
    return redirect(f"/doc/{document_id}")


@router.post("/doc/{document_id}/status", dependencies=[CsrfChecked])
def change_status(
    document_id: int,
    person: PageManager,
    context: ContextDep,
    action: Annotated[str, Form()],
) -> Response:
    if action not in STATUS_ACTIONS:
        raise InvalidInput(f"unknown action '{action}'; use {', '.join(STATUS_ACTIONS)}")
    if not may_change_status(viewer_of(person)):
        raise Forbidden("only a manager may archive, restore or delete a document")
    with transaction(context.engine) as session:
        document = visible_document(session, document_id, viewer_of(person))
        set_status(session, document, STATUS_ACTIONS[action], actor=person.name)
    make_searchable(context, session)
    return redirect(f"/doc/{document_id}")
