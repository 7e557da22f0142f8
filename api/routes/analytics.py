"""Win/loss analytics and competitor pages."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from api.deps import ContextDep, Searcher, SessionDep
from kb.access import viewer_of
from kb.clock import utcnow
from kb.winloss import competitor_page, win_loss

router = APIRouter(tags=["analytics"])


@router.get("/analytics/win-loss")
def get_win_loss(
    session: SessionDep,
    person: Searcher,
    group_by: Literal["competitor", "industry", "product", "quarter", "owner"] = "competitor",
    competitor: str | None = None,
    industry: str | None = None,
) -> dict[str, Any]:
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
    return {"group_by": group_by, "rows": rows}


@router.get("/competitors/{name}")
def get_competitor(
    name: str, session: SessionDep, context: ContextDep, person: Searcher
) -> dict[str, Any]:
    """A competitor's intel (newest first, with freshness), the bids against it with outcome
    and reasons, and our win rate against it."""
    return competitor_page(
        session,
        name,
        now=utcnow(),
        viewer=viewer_of(person),
        due_soon_days=context.settings.due_soon_days,
    )
