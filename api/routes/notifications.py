"""Notifications: each person's channels and deliveries; managers see every failure."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import ContextDep, CurrentPerson, SessionDep
from api.schemas.reviews import (
    DeliveriesPublic,
    DeliveryPublic,
    PreferencePublic,
    PreferenceUpdate,
)
from kb.access import may_see_all_deliveries, viewer_of
from kb.db import transaction
from kb.outbox import DELIVERY_STATUSES, deliveries, preference_of, set_preference

router = APIRouter(tags=["notifications"])


@router.get("/notifications")
def get_notifications(
    session: SessionDep,
    person: CurrentPerson,
    status: Literal[DELIVERY_STATUSES] | None = None,  # type: ignore[valid-type]
    recipient: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> DeliveriesPublic:
    """Deliveries newest first (`status=failed`: what could not be delivered, with the last
    error). Managers see everyone's (or `recipient`'s); others their own."""
    if not may_see_all_deliveries(viewer_of(person)):
        recipient = person.name
    rows = deliveries(session, status=status, recipient=recipient, limit=limit)
    return DeliveriesPublic(items=[DeliveryPublic(**row) for row in rows])


@router.get("/notifications/preferences")
def get_preferences(session: SessionDep, person: CurrentPerson) -> PreferencePublic:
    found = preference_of(session, person.name)
    return PreferencePublic(
        person=person.name,
        email=found.email,
        webhooks=found.webhooks,
        mute_digest=found.mute_digest,
    )


@router.put("/notifications/preferences")
def put_preferences(
    body: PreferenceUpdate, person: CurrentPerson, context: ContextDep
) -> PreferencePublic:
    """The caller's channels: an email address and/or robot webhooks
    (`{"format": "wecom"|"dingtalk"|"feishu"|"json", "url"}`), and whether to mute digests.
    Applies to notifications queued from now on."""
    with transaction(context.engine) as session:
        found = set_preference(
            session,
            person.name,
            email=body.email,
            webhooks=[hook.model_dump() for hook in body.webhooks],
            mute_digest=body.mute_digest,
        )
    return PreferencePublic(
        person=person.name,
        email=found.email,
        webhooks=found.webhooks,
        mute_digest=found.mute_digest,
    )
