"""Draft: paste an RFP section or question, pick the section type, see reusable suggestions
(match, freshness, won/lost record), collect them into a draft, reorder, copy. The draft lives
in the form itself (collected chunk ids), so it works without JavaScript."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.deps import ContextDep, SessionDep
from api.web.pages import page_router, render
from api.web.session import PageReader, form_of
from kb.access import Action, check_permitted, viewer_of, visible_document
from kb.clock import utcnow
from kb.db import transaction
from kb.draft_files import DOCX_TYPE, draft_docx, draft_markdown
from kb.drafts import DraftItem, compose_draft, record_draft_reuse
from kb.errors import InvalidInput, NotFound
from kb.models import Person
from kb.sections import OTHER, SECTION_TYPES
from kb.units import Unit, unit_for_ref
from search.suggest import Suggestion, SuggestionQuery, suggest
from search.suggestion_score import requested_context

router = page_router()
MAX_DRAFT_CHARS = 20_000
MAX_ITEMS = 50
REF = re.compile(r"^\d{1,19}(:\d{1,3})?$")


async def draft_form(request: Request) -> tuple[dict[str, str], list[str]]:
    values = await form_of(request)
    form = await request.form()
    items = [v.strip() for v in form.getlist("item") if isinstance(v, str) and REF.match(v)]
    return values, list(dict.fromkeys(items))[:MAX_ITEMS]


DraftForm = Annotated[tuple[dict[str, str], list[str]], Depends(draft_form)]


@router.get("/draft", response_class=HTMLResponse)
def draft_page(request: Request, person: PageReader) -> HTMLResponse:
    return render(
        request, "draft.html", values={}, suggestions=[], items=[], sections=SECTION_TYPES
    )


@router.post("/draft", response_class=HTMLResponse)
def draft_submit(
    request: Request,
    person: PageReader,
    session: SessionDep,
    context: ContextDep,
    form: DraftForm,
) -> HTMLResponse:
    values, items = form
    items = apply_action(values.get("action", ""), items)
    text = values.get("text", "").strip()
    if len(text) > MAX_DRAFT_CHARS:
        raise InvalidInput(f"the text has {len(text)} characters; the limit is {MAX_DRAFT_CHARS}")
    found: list[Suggestion] = []
    if text:
        query = SuggestionQuery(
            text=text,
            top_k=8,
            context=requested_context(values),
            section=values.get("section") or None,
        )
        found = suggest(
            context.search,
            session,
            query,
            viewer=viewer_of(person),
            now=utcnow(),
            due_soon_days=context.settings.due_soon_days,
        ).suggestions
    collected = collected_units(session, items, person)
    return render(
        request,
        "draft.html",
        values=values,
        suggestions=found,
        items=collected,
        sections=SECTION_TYPES,
        draft_text="\n\n".join(unit.text for unit in collected),
    )


@router.post("/draft/export")
def draft_export(person: PageReader, context: ContextDep, form: DraftForm) -> Response:
    """The collected items as a .docx or Markdown draft through the same kb functions as
    POST /drafts (which records each item as reuse in the proposal)."""
    values, items = form
    check_permitted(person.role, Action.draft)
    fallback = values.get("section") or OTHER
    title = values.get("title", "").strip() or values.get("customer", "").strip()
    with transaction(context.engine) as session:
        chosen = [
            DraftItem(unit.section_type or fallback, unit.ref)
            for unit in collected_units(session, items, person)
        ]
        draft = compose_draft(
            session, title, values.get("customer") or None, chosen, viewer=viewer_of(person)
        )
        record_draft_reuse(
            session,
            chosen,
            proposal_ref=values.get("proposal_ref", "").strip() or draft.title,
            bid_ref=values.get("bid_ref", "").strip() or None,
            user=person.name,
            recorded_by=person.name,
        )
    if values.get("format") == "md":
        return Response(draft_markdown(draft), media_type="text/markdown; charset=utf-8")
    return Response(
        draft_docx(draft),
        media_type=DOCX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="draft.docx"'},
    )


def apply_action(action: str, items: list[str]) -> list[str]:
    """`add:REF`, `remove:REF`, `up:REF`, `down:REF` on the collected unit refs."""
    verb, _, ref = action.partition(":")
    if not REF.match(ref):
        return items
    items = list(items)
    if verb == "add" and ref not in items and len(items) < MAX_ITEMS:
        items.append(ref)
    elif verb == "remove" and ref in items:
        items.remove(ref)
    elif verb in ("up", "down") and ref in items:
        at = items.index(ref)
        to = at - 1 if verb == "up" else at + 1
        if 0 <= to < len(items):
            items[at], items[to] = items[to], items[at]
    return items


def collected_units(session: Session, items: list[str], person: Person) -> list[Unit]:
    """The collected sections and answers, in order: only those the person may see."""
    found = []
    for ref in items:
        try:
            unit = unit_for_ref(session, ref)
            visible_document(session, unit.document.id or 0, viewer_of(person))
        except NotFound:
            continue
        found.append(unit)
    return found
