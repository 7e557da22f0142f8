"""Win/loss analytics and competitor pages."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from api.deps import ContextDep, Searcher, SessionDep
from api.schemas.analytics import CompetitorPublic, WinLossPublic
from kb.access import viewer_of
from kb.clock import utcnow
from kb.winloss import GROUPS, competitor_page, win_loss

router = APIRouter(tags=["analytics"])


@router.get("/analytics/win-loss", response_model_exclude_unset=True)
def get_win_loss(
    session: SessionDep,
    person: Searcher,
    group_by: Literal[GROUPS] = "competitor",  # type: ignore[valid-type]
    competitor: str | None = None,
    industry: str | None = None,
) -> WinLossPublic:
    """Bids per group, most first: won / lost / withdrawn / pending, win rate (won / decided),
    amounts, most cited reasons of wins and losses. `competitor` / `industry` narrow the bids
    (e.g. group_by=product&competitor=华为云&industry=金融: how we beat them in banks)."""
    rows = win_loss(
        session,
        group_by=group_by,
        viewer=viewer_of(person),
        competitor=competitor,
        industry=industry,
    )
    return WinLossPublic.of(group_by, rows)


@router.get("/competitors/{name}")
def get_competitor(
    name: str, session: SessionDep, context: ContextDep, person: Searcher
) -> CompetitorPublic:
    """A competitor's intel (newest first, with freshness), the bids against it with outcome
    and reasons, and our win rate against it."""
    page = competitor_page(
        session,
        name,
        now=utcnow(),
        viewer=viewer_of(person),
        due_soon_days=context.settings.due_soon_days,
    )
    return CompetitorPublic.model_validate(page)
