"""The proposal tool reports back: what it reused (POST /reuse) and how bids ended
(POST /bids/{ref}/outcome); both read back (GET /reuse, GET /bids/{ref}). Reuse counts and win
rates in suggestions follow from these."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ContextDep, Reporter, Searcher, SessionDep
from api.error_answers import errors
from api.idempotency import OnceDep
from api.schemas.governance import (
    BidDetail,
    BidPublic,
    OutcomeCreate,
    ReuseCreate,
    ReuseList,
    ReusePublic,
)
from api.writes import make_searchable
from ingest.bids import OutcomeReport, report_outcome
from kb.access import hidden_documents, viewer_of, visible_document
from kb.bids import bid_record
from kb.db import transaction
from kb.errors import InvalidInput, NotFound
from kb.reuse import check_reuser, document_of_chunk, list_reuse, record_reuse

router = APIRouter(tags=["reuse"])


@router.post("/reuse", status_code=201, responses=errors(404))
def create_reuse(
    body: ReuseCreate, person: Reporter, context: ContextDep, once: OnceDep
) -> ReusePublic:
    """Record that a chunk (or a document version) went into a proposal. `user` is the person
    in the proposal tool (default: the caller), a kb user. The same (proposal, chunk or
    version, user) reported again returns the first record instead of a second one."""
    with once.replaying_a_twin(), transaction(context.engine) as session:
        if body.user is not None:
            check_reuser(session, body.user)
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
        once.remember(session, 201, public, [], final=True)
    return public


@router.get("/reuse", responses=errors(404))
def read_reuse(
    person: Searcher,
    session: SessionDep,
    bid_ref: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    document: Annotated[str | None, Query(min_length=1, description="id or source id")] = None,
) -> ReuseList:
    """Recorded reuse, oldest first, of a bid and/or a document (of documents the caller may
    see)."""
    if bid_ref is None and document is None:
        raise InvalidInput("give bid_ref, document or both")
    viewer = viewer_of(person)
    document_id = visible_document(session, document, viewer).id if document else None
    found = list_reuse(
        session,
        bid_ref=bid_ref,
        document_id=document_id,
        hidden=hidden_documents(session, viewer),
    )
    return ReuseList(reuse=[ReusePublic(**r.model_dump()) for r in found])


@router.post("/bids/{ref}/outcome", responses=errors(404, 409))
def set_outcome(
    ref: str, body: OutcomeCreate, person: Reporter, context: ContextDep, once: OnceDep
) -> BidPublic:
    """Record (or correct) a bid's outcome and write it, with its reasons, competitors, amount
    and decision date, into a new version of the bid's bid_result document (made if kb knows
    the bid only from reuse or a proposal)."""
    report = OutcomeReport(**body.model_dump())
    with once.replaying_a_twin(), transaction(context.engine) as session:
        bid, saved = report_outcome(
            session, context.ingester.budget, ref, report, author=person.name
        )
        public = BidPublic(
            **bid.model_dump(), document_id=saved.document.id, version=saved.version.number
        )
        once.remember(session, 200, public, [saved.document.id])
    make_searchable(context, session, [saved.document.id])
    return once.completed(public)


@router.get("/bids/{ref}", responses=errors(404))
def get_bid(ref: str, person: Searcher, session: SessionDep) -> BidDetail:
    """One record of a bid: its outcome, bid_result document and fields, the proposals written
    for it and how much reuse went into it (documents the caller may see)."""
    record = bid_record(session, ref, viewer_of(person))
    return BidDetail(**asdict(record))
