"""POST /search: hybrid search over what the caller may see."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, Searcher
from api.error_answers import errors
from api.schemas.search import SearchRequest, SearchResults
from kb.access import viewer_of

router = APIRouter(tags=["search"])


@router.post("/search", responses=errors(503))
def search(body: SearchRequest, person: Searcher, context: ContextDep) -> SearchResults:
    """Ranked documents (best chunk of each) for a query; `filters` as in `kb search`
    (kind, product, competitor, customer, industry, tag, owner, language, updated_after, ...)."""
    hits = context.search.search(
        body.query,
        top_k=body.top_k,
        mode=body.mode,
        filters=body.filters,
        viewer=viewer_of(person),
        history=body.history,
        min_seq=body.min_seq,
    )
    expansions = [e.as_dict() for e in context.search.expansions(body.query, body.mode)]
    return SearchResults.model_validate({"results": hits, "expansions": expansions})
