"""POST /suggestions: reusable proposal sections and Q&A answers for a draft or RFP question."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, Searcher, SessionDep
from api.error_answers import errors
from api.schemas.search import SuggestionPublic, SuggestionRequest, SuggestionsPublic
from kb.access import viewer_of
from kb.clock import utcnow
from search.suggest import SuggestionQuery, suggest
from search.suggestion_score import requested_context

router = APIRouter(tags=["suggestions"])


@router.post("/suggestions", responses=errors(503))
def suggestions(
    body: SuggestionRequest, person: Searcher, session: SessionDep, context: ContextDep
) -> SuggestionsPublic:
    """Best first: similar content, preferring fresh, reviewed content from won bids and
    content that fits the given context (customer, industry, products, competitor: the
    vocabulary's context fields) and section type."""
    given = body.model_dump()
    query = SuggestionQuery(
        text=body.text,
        top_k=body.top_k,
        context=requested_context(given),
        section=body.section,
        kinds=[str(kind) for kind in body.kinds],
    )
    found = suggest(
        context.search,
        session,
        query,
        viewer=viewer_of(person),
        now=utcnow(),
        due_soon_days=context.settings.due_soon_days,
    )
    return SuggestionsPublic(
        suggestions=[SuggestionPublic(**s.as_dict()) for s in found.suggestions],
        reason=found.reason,
    )
