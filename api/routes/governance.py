"""Governance: contributions, freshness audits, reviews and hand-overs."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from api.deps import ContextDep, CurrentPerson, Manager, ReadSessionDep, Searcher
from api.error_answers import errors
from api.schemas.governance import (
    ContributionsPublic,
    FreshnessAuditPublic,
    HandoverCreate,
    HandoverPublic,
    ReviewCreate,
    ReviewPublic,
)
from kb.access import viewer_of, visible_document
from kb.contributions import GROUPS, contributions, parse_day
from kb.db import transaction
from kb.freshness import (
    FRESHNESS_STATUSES,
    STATUSES,
    archive_candidates,
    audit_freshness,
    audit_time,
    freshness_of,
    owner_is_active,
)
from kb.handover import hand_over
from kb.review import review_document
from kb.vocabulary import Kind

router = APIRouter(tags=["governance"])
# What `status` of a freshness audit takes: a freshness status or a document status.
AUDIT_STATUSES = (*FRESHNESS_STATUSES, *STATUSES)


@router.get("/contributions", response_model_exclude_unset=True)
def get_contributions(
    session: ReadSessionDep,
    person: Searcher,
    since: str | None = None,
    until: str | None = None,
    group_by: Literal[GROUPS] = "person",  # type: ignore[valid-type]
) -> ContributionsPublic:
    """Contributions per person, team or kind; `since` and `until` are whole days (YYYY-MM-DD),
    both included."""
    start, end = parse_day(since, "since"), parse_day(until, "until")
    rows = contributions(
        session, since=start, until=end, group_by=group_by, viewer=viewer_of(person)
    )
    return ContributionsPublic.of(start, end, group_by, rows)


@router.get("/audit/freshness")
def get_freshness_audit(
    session: ReadSessionDep,
    context: ContextDep,
    person: Manager,
    owner: str | None = None,
    team: str | None = None,
    kind: Kind | None = None,
    status: Literal[AUDIT_STATUSES] | None = None,  # type: ignore[valid-type]
    document_status: Literal[(*STATUSES, "all")] = "active",  # type: ignore[valid-type]
    as_of: str | None = None,
) -> FreshnessAuditPublic:
    """Every audited document's freshness, worst first (managers); `as_of` (YYYY-MM-DD)
    audits as of the start of that day instead of now."""
    now = audit_time(parse_day(as_of, "as_of"))
    rows = audit_freshness(
        session,
        now=now,
        viewer=viewer_of(person),
        owner=owner,
        team=team,
        kind=kind,
        status=status,
        document_status=document_status,
        due_soon_days=context.settings.due_soon_days,
    )
    return FreshnessAuditPublic.of(now, rows)


@router.get("/audit/archive-candidates")
def get_archive_candidates(
    session: ReadSessionDep, person: Manager, as_of: str | None = None
) -> FreshnessAuditPublic:
    """Documents unverified, unused and unread for more than two review intervals (managers)."""
    now = audit_time(parse_day(as_of, "as_of"))
    rows = archive_candidates(session, now=now, viewer=viewer_of(person))
    return FreshnessAuditPublic.of(now, rows)


@router.post("/documents/{ref:path}/review", responses=errors(403, 404, 409))
def post_review(
    ref: str,
    context: ContextDep,
    person: CurrentPerson,
    body: ReviewCreate | None = None,
) -> ReviewPublic:
    """Mark a document verified without a new version (its owner or a manager)."""
    with transaction(context.engine) as session:
        document = visible_document(session, ref, viewer_of(person))
        review = review_document(
            session,
            document,
            actor=person.name,
            viewer=viewer_of(person),
            note=body.note if body else None,
        )
        owner_active = owner_is_active(session, document.owner)
    freshness = freshness_of(
        document,
        now=review.reviewed_at,
        owner_active=owner_active,
        due_soon_days=context.settings.due_soon_days,
    )
    return ReviewPublic.of(review, freshness)


@router.post("/people/{name}/handover", responses=errors(404))
def post_handover(
    name: str, body: HandoverCreate, person: Manager, context: ContextDep
) -> HandoverPublic:
    """Give all of a leaver's documents to a successor, optionally disabling the leaver."""
    with transaction(context.engine) as session:
        result = hand_over(session, name, body.to, actor=person.name, disable=body.disable)
    return HandoverPublic.of(result)
