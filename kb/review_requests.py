"""Review requests: a manager asks a document's verifiers to review it; each person has a
queue; a verifier approves (the freshness clock restarts and the version is approved) or
asks for changes (the owner is told). Every step is in the document's history."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from kb.access import Viewer, may_review
from kb.clock import utcnow
from kb.errors import Conflict, Forbidden, InvalidInput, NotFound
from kb.events import record_event
from kb.freshness import audit_freshness
from kb.models import Document, ReviewRequest
from kb.outbox import Message, notify
from kb.review import MAX_NOTE_CHARS, record_review, review_document
from kb.store import row_id
from kb.verifiers import verifiers_of
from kb.vocabulary import REVIEW_OUTCOMES, ReviewDecision, ReviewStatus, Status, Topic, values


def request_review(
    session: Session,
    document: Document,
    *,
    requested_by: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> ReviewRequest:
    """Ask the document's verifiers to review it (an open request is returned as it is)."""
    if document.status != Status.active:
        raise Conflict(
            f"document {document.id} is {document.status}; only active ones are reviewed"
        )
    existing = session.exec(
        select(ReviewRequest).where(
            ReviewRequest.document_id == document.id, ReviewRequest.status == ReviewStatus.open
        )
    ).first()
    if existing is not None:
        return existing
    verifiers = verifiers_of(session, document).names
    if not verifiers:
        raise InvalidInput(
            f"document {document.id} has no owner and no verifiers; name its verifiers first "
            "(PUT /documents/{id}/verifiers)"
        )
    assert document.id is not None
    request = ReviewRequest(
        document_id=document.id,
        version=document.current_version,
        verifiers=list(verifiers),
        requested_by=requested_by,
        requested_at=now or utcnow(),
        note=_note(note),
    )
    session.add(request)
    session.flush()
    record_event(
        session,
        "review_request",
        actor=requested_by,
        document_id=document.id,
        version=document.current_version,
        at=request.requested_at,
        detail={"request": request.id, "verifiers": list(verifiers), "note": request.note},
    )
    _tell_verifiers(session, document, request)
    return request


def _tell_verifiers(session: Session, document: Document, request: ReviewRequest) -> None:
    message = Message(
        Topic.review_request,
        f"Review requested: {document.title}",
        f"{request.requested_by or 'kb'} asks you to review '{document.title}' (document "
        f"{document.id}, version {document.current_version})."
        + (f"\nNote: {request.note}" if request.note else ""),
        document.id,
    )
    for name in request.verifiers:
        notify(session, name, f"review-request/{request.id}/{name}", message)


def request_stale_reviews(
    session: Session,
    *,
    team: str | None,
    requested_by: str | None,
    due_soon_days: int,
    now: datetime | None = None,
) -> list[ReviewRequest]:
    """A review request for every stale active document owned in `team` (None: every team)."""
    now = now or utcnow()
    rows = audit_freshness(session, now=now, team=team, status="stale", due_soon_days=due_soon_days)
    requests = []
    for row in rows:
        document = session.get(Document, row.document_id)
        if document is not None and verifiers_of(session, document).names:
            requests.append(request_review(session, document, requested_by=requested_by, now=now))
    return requests


def review_queue(session: Session, person: str) -> list[ReviewRequest]:
    """Open requests `person` is a verifier of, oldest first."""
    open_requests = session.exec(
        select(ReviewRequest)
        .where(ReviewRequest.status == ReviewStatus.open)
        .order_by(col(ReviewRequest.requested_at), col(ReviewRequest.id))
    )
    return [r for r in open_requests if person in r.verifiers]


def open_requests(session: Session) -> list[ReviewRequest]:
    return list(
        session.exec(
            select(ReviewRequest)
            .where(ReviewRequest.status == ReviewStatus.open)
            .order_by(col(ReviewRequest.requested_at), col(ReviewRequest.id))
        )
    )


def decide_review(
    session: Session,
    request_id: int | str,
    decision: str,
    *,
    actor: str | None,
    viewer: Viewer | None,
    note: str | None = None,
    now: datetime | None = None,
) -> ReviewRequest:
    """Approve (the document is verified now; a Q&A's current version is approved, see
    kb.answers) or ask for changes (the owner is told); by one of the request's verifiers,
    the owner or a manager."""
    if decision not in values(ReviewDecision):
        raise InvalidInput(
            f"decision must be one of {', '.join(values(ReviewDecision))} (got '{decision}')"
        )
    request = get_request(session, request_id)
    document = session.get(Document, request.document_id)
    assert document is not None
    if not may_review(viewer, owner=document.owner, verifiers=request.verifiers):
        raise Forbidden(
            f"only a verifier of document {document.id} ({', '.join(request.verifiers)}), "
            "its owner or a manager may decide this review"
        )
    if request.status != ReviewStatus.open:
        raise Conflict(f"review request {request.id} is already decided ({request.status})")
    now, note = now or utcnow(), _note(note)
    detail = {"decision": decision, "request": request.id}
    if decision == ReviewDecision.approve:
        review_document(
            session, document, actor=actor, viewer=None, note=note, now=now, detail=detail
        )
    else:
        record_review(session, document, actor=actor, note=note, now=now, detail=detail)
        _tell_owner(session, document, request, actor, note)
    request.status = REVIEW_OUTCOMES[ReviewDecision(decision)].value
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    session.add(request)
    return request


def get_request(session: Session, request_id: int | str) -> ReviewRequest:
    row = row_id(request_id)
    request = session.get(ReviewRequest, row) if row is not None else None
    if request is None:
        raise NotFound(f"no review request with id {request_id}")
    return request


def _tell_owner(
    session: Session,
    document: Document,
    request: ReviewRequest,
    actor: str | None,
    note: str | None,
) -> None:
    message = Message(
        Topic.review_decision,
        f"Changes needed: {document.title}",
        f"{actor or 'A verifier'} reviewed '{document.title}' (document {document.id}) and "
        f"asks for changes." + (f"\nNote: {note}" if note else ""),
        document.id,
    )
    notify(session, document.owner, f"review-decision/{request.id}", message)


def _note(note: str | None) -> str | None:
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"the note has {len(note)} characters; the limit is {MAX_NOTE_CHARS}")
    return note
