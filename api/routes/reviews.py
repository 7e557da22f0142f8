"""The review workflow: verifiers, review requests, each person's queue, decisions."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import Session

from api.deps import ContextDep, CurrentPerson, DocumentReader, Manager, SessionDep
from api.error_answers import errors
from api.schemas.reviews import (
    ReviewDecisionCreate,
    ReviewRequestCreate,
    ReviewRequestPublic,
    ReviewRequestsPublic,
    StaleReviewsCreate,
    VerifierDefaultPublic,
    VerifierDefaultsPublic,
    VerifierDefaultUpdate,
    VerifiersPublic,
    VerifiersUpdate,
)
from kb.access import may_name_verifiers, viewer_of, visible_document
from kb.db import transaction
from kb.errors import Forbidden
from kb.models import Document, ReviewRequest
from kb.review_requests import (
    decide_review,
    open_requests,
    request_review,
    request_stale_reviews,
    review_queue,
)
from kb.verifiers import list_defaults, set_default_verifiers, set_document_verifiers, verifiers_of

router = APIRouter(tags=["reviews"])


def request_public(session: Session, request: ReviewRequest) -> ReviewRequestPublic:
    document = session.get(Document, request.document_id)
    assert document is not None and request.id is not None
    return ReviewRequestPublic(
        id=request.id,
        document_id=request.document_id,
        title=document.title,
        kind=document.kind,
        owner=document.owner,
        version=request.version,
        verifiers=request.verifiers,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        note=request.note,
        status=request.status,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_note=request.decision_note,
    )


@router.get("/reviews/mine")
def my_reviews(session: SessionDep, person: CurrentPerson) -> ReviewRequestsPublic:
    """The caller's queue: open review requests they are a verifier of, oldest first."""
    return ReviewRequestsPublic(
        items=[request_public(session, r) for r in review_queue(session, person.name)]
    )


@router.get("/reviews")
def all_reviews(session: SessionDep, _manager: Manager) -> ReviewRequestsPublic:
    """Every open review request (managers)."""
    return ReviewRequestsPublic(items=[request_public(session, r) for r in open_requests(session)])


@router.post("/reviews", status_code=201, responses=errors(404, 409))
def post_review_request(
    body: ReviewRequestCreate, person: Manager, context: ContextDep
) -> ReviewRequestPublic:
    """Ask a document's verifiers to review it; they are notified (an open request for the
    document is returned as it is)."""
    with transaction(context.engine) as session:
        document = visible_document(session, body.document, viewer_of(person))
        request = request_review(session, document, requested_by=person.name, note=body.note)
        return request_public(session, request)


@router.post("/reviews/stale", status_code=201)
def post_stale_reviews(
    body: StaleReviewsCreate, person: Manager, context: ContextDep
) -> ReviewRequestsPublic:
    """A review request for every stale document owned in a team (null: every team)."""
    with transaction(context.engine) as session:
        requests = request_stale_reviews(
            session,
            team=body.team,
            requested_by=person.name,
            due_soon_days=context.settings.due_soon_days,
        )
        return ReviewRequestsPublic(items=[request_public(session, r) for r in requests])


@router.post("/reviews/{request_id}/decision", responses=errors(403, 404, 409))
def post_decision(
    request_id: str, body: ReviewDecisionCreate, person: CurrentPerson, context: ContextDep
) -> ReviewRequestPublic:
    """Approve (verified now; a Q&A's current version carries the `approved` flag) or ask
    for changes (the owner is notified), with a note; kept in the document's history."""
    with transaction(context.engine) as session:
        request = decide_review(
            session,
            request_id,
            body.decision,
            actor=person.name,
            viewer=viewer_of(person),
            note=body.note,
        )
        return request_public(session, request)


@router.get("/documents/{ref:path}/verifiers", responses=errors(404))
def get_verifiers(ref: str, session: SessionDep, person: DocumentReader) -> VerifiersPublic:
    document = visible_document(session, ref, viewer_of(person))
    return VerifiersPublic.of(verifiers_of(session, document))


@router.put("/documents/{ref:path}/verifiers", responses=errors(403, 404))
def put_verifiers(
    ref: str, body: VerifiersUpdate, person: CurrentPerson, context: ContextDep
) -> VerifiersPublic:
    """Name a document's verifiers (its owner or a manager); [] goes back to the defaults."""
    with transaction(context.engine) as session:
        document = visible_document(session, ref, viewer_of(person))
        if not may_name_verifiers(viewer_of(person), document):
            raise Forbidden(
                f"only the owner ({document.owner or 'none'}) or a manager may name verifiers"
            )
        set_document_verifiers(session, document, body.verifiers)
        session.flush()
        return VerifiersPublic.of(verifiers_of(session, document))


@router.get("/verifier-defaults")
def get_verifier_defaults(session: SessionDep, _manager: Manager) -> VerifierDefaultsPublic:
    return VerifierDefaultsPublic(
        items=[VerifierDefaultPublic.of(d) for d in list_defaults(session)]
    )


@router.put("/verifier-defaults")
def put_verifier_default(
    body: VerifierDefaultUpdate, _manager: Manager, context: ContextDep
) -> VerifierDefaultPublic:
    """Who verifies documents of a kind whose owner is in a team (null team: any team)."""
    with transaction(context.engine) as session:
        default = set_default_verifiers(session, body.kind, body.team, body.verifiers)
    return VerifierDefaultPublic.of(default)
