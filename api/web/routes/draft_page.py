"""Draft: paste an RFP section or question, pick the section type, see reusable suggestions
(match, freshness, won/lost record), collect them into a draft, reorder, copy. The draft lives
in the form itself (collected chunk ids), so it works without JavaScript."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from api.deps import ContextDep, SessionDep
from api.routes.documents import visible_document
from api.web.pages import page_router, render
from api.web.routes.contribute_page import form_of
from api.web.session import PageReader
from kb.clock import utcnow
from kb.errors import InvalidInput, NotFound
from kb.models import Chunk, Person
from kb.people import viewer_of
from kb.sections import SECTION_TYPES
from search.suggest import SuggestionQuery, suggest

router = page_router()
MAX_DRAFT_CHARS = 20_000
MAX_ITEMS = 50


async def draft_form(request: Request) -> tuple[dict[str, str], list[int]]:
    values = await form_of(request)
    form = await request.form()
    items = [int(v) for v in form.getlist("item") if isinstance(v, str) and v.isdigit()]
    return values, list(dict.fromkeys(items))[:MAX_ITEMS]


DraftForm = Annotated[tuple[dict[str, str], list[int]], Depends(draft_form)]


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
    found = []
    if text:
        query = SuggestionQuery(
            text=text,
            top_k=8,
            customer=values.get("customer") or None,
            industry=values.get("industry") or None,
            section=values.get("section") or None,
        )
        found = suggest(
            context.search,
            session,
            query,
            viewer=viewer_of(person),
            now=utcnow(),
            due_soon_days=context.settings.due_soon_days,
        )
    collected = collected_chunks(session, items, person)
    return render(
        request,
        "draft.html",
        values=values,
        suggestions=found,
        items=collected,
        sections=SECTION_TYPES,
        draft_text="\n\n".join(chunk.text for chunk, _ in collected),
    )


def apply_action(action: str, items: list[int]) -> list[int]:
    """`add:ID`, `remove:ID`, `up:ID`, `down:ID` on the collected chunk ids."""
    verb, _, raw = action.partition(":")
    if not raw.isdigit():
        return items
    chunk_id = int(raw)
    items = list(items)
    if verb == "add" and chunk_id not in items and len(items) < MAX_ITEMS:
        items.append(chunk_id)
    elif verb == "remove" and chunk_id in items:
        items.remove(chunk_id)
    elif verb in ("up", "down") and chunk_id in items:
        at = items.index(chunk_id)
        to = at - 1 if verb == "up" else at + 1
        if 0 <= to < len(items):
            items[at], items[to] = items[to], items[at]
    return items


def collected_chunks(session: Session, items: list[int], person: Person) -> list[tuple[Chunk, Any]]:
    """The collected chunks, in order, with their documents: only those the person may see."""
    if not items:
        return []
    chunks = {c.id: c for c in session.exec(select(Chunk).where(col(Chunk.id).in_(items)))}
    found = []
    for chunk_id in items:
        chunk = chunks.get(chunk_id)
        if chunk is None:
            continue
        try:
            document = visible_document(session, chunk.document_id, person)
        except NotFound:
            continue
        found.append((chunk, document))
    return found
