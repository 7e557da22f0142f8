"""POST /drafts: a proposal draft from chosen sections and answers, as .docx or Markdown."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ContextDep, Drafter
from api.error_answers import errors
from api.schemas.drafts import DraftCreate
from kb.access import viewer_of
from kb.db import transaction
from kb.draft_files import DOCX_TYPE, draft_docx, draft_markdown
from kb.drafts import DraftItem, compose_draft, record_draft_reuse
from kb.reuse import check_reuser

router = APIRouter(tags=["drafts"])


@router.post("/drafts", response_class=Response, responses=errors(404))
def create_draft(
    body: DraftCreate,
    person: Drafter,
    context: ContextDep,
    format: Annotated[Literal["docx", "md"], Query(description="docx (default) or md")] = "docx",
) -> Response:
    """A heading per section type in the standard order (项目背景, 需求分析, 解决方案, 项目优势,
    ...), each item's text (the unit's, or the edit given), and a source list (document,
    version, owner, last verified). Every item is recorded as reuse in `proposal_ref`
    (default: the title) for `user` (default: the caller)."""
    items = [DraftItem(i.section_type, i.ref, i.text) for i in body.items]
    with transaction(context.engine) as session:
        if body.user is not None:
            check_reuser(session, body.user)
        draft = compose_draft(session, body.title, body.customer, items, viewer=viewer_of(person))
        record_draft_reuse(
            session,
            items,
            proposal_ref=body.proposal_ref or draft.title,
            bid_ref=body.bid_ref,
            user=body.user or person.name,
            recorded_by=person.name,
        )
    if format == "md":
        return Response(draft_markdown(draft), media_type="text/markdown; charset=utf-8")
    return Response(
        draft_docx(draft),
        media_type=DOCX_TYPE,
        headers={"Content-Disposition": 'attachment; filename="draft.docx"'},
    )
