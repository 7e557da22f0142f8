"""Pending edits (changes to approved Q&A waiting for the owner) and the team policy."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ContextDep, CurrentPerson, DocumentReader, Manager, SessionDep
from api.error_answers import errors
from api.schemas.reviews import (
    PendingDecision,
    PendingEditPublic,
    PendingEditsPublic,
    TeamPolicyPublic,
    TeamPolicyUpdate,
)
from api.writes import make_searchable
from ingest.submission import Submission, revise
from kb.access import may_decide_edits, viewer_of, visible_document
from kb.db import transaction
from kb.edits import close_pending, get_pending, pending_edits, set_team_policy
from kb.errors import Forbidden
from kb.models import PendingEdit, TeamPolicy

router = APIRouter(tags=["edits"])


def pending_public(pending: PendingEdit) -> PendingEditPublic:
    return PendingEditPublic.model_validate(pending, from_attributes=True)


@router.get("/documents/{ref:path}/pending", responses=errors(404))
def get_pending_edits(ref: str, session: SessionDep, person: DocumentReader) -> PendingEditsPublic:
    """Pending edits of a document, oldest first (all statuses)."""
    document = visible_document(session, ref, viewer_of(person))
    return PendingEditsPublic(items=[pending_public(p) for p in pending_edits(session, document)])


@router.post("/documents/{ref:path}/pending/{pending_id}", responses=errors(403, 404, 409))
def decide_pending_edit(
    ref: str, pending_id: str, body: PendingDecision, person: CurrentPerson, context: ContextDep
) -> PendingEditPublic:
    """The owner (or a manager) accepts a pending edit (it becomes a new version, by its
    author) or rejects it; the author is notified."""
    with transaction(context.engine) as session:
        document = visible_document(session, ref, viewer_of(person))
        if not may_decide_edits(viewer_of(person), document):
            raise Forbidden(f"only the owner ({document.owner}) or a manager may decide edits")
        pending = get_pending(session, document, pending_id)
        if body.accept:
            change = Submission(pending.fields, pending.text, pending.change_note)
            revise(
                session,
                context.ingester.budget,
                document,
                change,
                base_version=pending.base_version,
                author=pending.author,
                owner_accepted=True,
            )
        close_pending(session, pending, accepted=body.accept, actor=person.name)
        result = pending_public(pending)
    make_searchable(context, session, [document.id])
    return result


@router.get("/teams/{team}/policy")
def get_team_policy(team: str, session: SessionDep, _manager: Manager) -> TeamPolicyPublic:
    policy = session.get(TeamPolicy, team) or TeamPolicy(team=team)
    return TeamPolicyPublic(team=team, owner_approves_qa_edits=policy.owner_approves_qa_edits)


@router.put("/teams/{team}/policy")
def put_team_policy(
    team: str, body: TeamPolicyUpdate, _manager: Manager, context: ContextDep
) -> TeamPolicyPublic:
    """Whether a non-owner's change to an approved Q&A owned in this team waits for the
    owner's approval (a pending edit) instead of replacing the current version."""
    with transaction(context.engine) as session:
        set_team_policy(session, team, owner_approves_qa_edits=body.owner_approves_qa_edits)
    return TeamPolicyPublic(team=team, owner_approves_qa_edits=body.owner_approves_qa_edits)
