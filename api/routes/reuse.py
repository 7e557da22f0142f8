"""The proposal tool reports back: what it reused (POST /reuse) and how bids ended
(POST /bids/{ref}/outcome). Reuse counts and win rates in suggestions follow from these."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, Reporter
from api.schemas.governance import BidPublic, OutcomeCreate, ReuseCreate, ReusePublic
from kb.access import viewer_of, visible_document
from kb.db import transaction
from kb.errors import InvalidInput, NotFound
from kb.reuse import document_of_chunk, record_outcome, record_reuse

router = APIRouter(tags=["reuse"])


@router.post("/reuse", status_code=201)
def create_reuse(body: ReuseCreate, person: Reporter, context: ContextDep) -> ReusePublic:
    """Record that a chunk (or a document version) went into a proposal. `user` is the person
    in the proposal tool (default: the caller)."""
    with transaction(context.engine) as session:
        if body.chunk_id is not None:
            try:  # a chunk of a document the caller may not see is as missing as none
                document = visible_document(
                    session, document_of_chunk(session, body.chunk_id).id or 0, viewer_of(person)
                )
            except NotFound:
                raise NotFound(f"no chunk with id {body.chunk_id}") from None
            if body.document_id is not None and str(body.document_id) not in (
                str(document.id),
                document.source_id,
            ):
                raise InvalidInput(
                    f"chunk {body.chunk_id} does not belong to document {body.document_id}"
                )
        else:
            assert body.document_id is not None
            document = visible_document(session, body.document_id, viewer_of(person))
        reuse = record_reuse(
            session,
            document,
            proposal_ref=body.proposal_ref,
            chunk_id=body.chunk_id,
            version=body.version,
            bid_ref=body.bid_ref,
            user=body.user or person.name,
            recorded_by=person.name,
        )
        assert reuse.id is not None
        public = ReusePublic(**reuse.model_dump())
    return public


@router.post("/bids/{ref}/outcome")
def set_outcome(ref: str, body: OutcomeCreate, person: Reporter, context: ContextDep) -> BidPublic:
    """Record (or correct) a bid's outcome: won, lost, withdrawn or pending."""
    with transaction(context.engine) as session:
        bid = record_outcome(session, ref, body.outcome, recorded_by=person.name)
        public = BidPublic(**bid.model_dump())
    return public
