"""Manager dashboard: freshness by team, owner and kind (SVG), stale and unowned lists,
contributions per month, reuse and win rate by competitor and industry."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import ContextDep, SessionDep
from api.web.charts import stacked_bars
from api.web.messages import translator
from api.web.pages import language_of, page_router, render
from api.web.session import PageManager
from kb.access import hidden_documents, viewer_of
from kb.clock import utcnow
from kb.contributions import Ledger, contributions
from kb.freshness import FRESHNESS_STATUSES, AuditRow, audit_freshness, status_counts
from kb.reuse import reuse_by_field

router = page_router()
MONTHS = 6
LIST_LIMIT = 50


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request, person: PageManager, session: SessionDep, context: ContextDep
) -> HTMLResponse:
    viewer = viewer_of(person)
    rows = audit_freshness(
        session, now=utcnow(), viewer=viewer, due_soon_days=context.settings.due_soon_days
    )
    t = translator(language_of(request))
    labels = {s: t(f"fresh_{s}") for s in FRESHNESS_STATUSES}
    charts = {
        by: stacked_bars(
            t(f"freshness_by_{by}"),
            [(t(f"value_{k}") if by == "kind" else k, c) for k, c in by_group(rows, by)],
            FRESHNESS_STATUSES,
            labels,
        )
        for by in ("team", "owner", "kind")
    }
    hidden = hidden_documents(session, viewer)
    return render(
        request,
        "dashboard.html",
        counts=status_counts(rows),
        charts=charts,
        stale=[r for r in rows if r.freshness.status == "stale"][:LIST_LIMIT],
        unowned=[r for r in rows if r.freshness.status == "unowned"][:LIST_LIMIT],
        months=monthly_contributions(session, viewer),
        reuse={f: reuse_by_field(session, f, hidden) for f in ("competitors", "industry")},
    )


def by_group(rows: list[AuditRow], by: str) -> list[tuple[str, dict[str, int]]]:
    """Status counts per team, owner or kind, largest group first."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        key = {"team": row.team, "owner": row.owner, "kind": row.kind}[by] or ""
        groups[key][row.freshness.status] += 1
    ordered = sorted(groups.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [(key, dict(counts)) for key, counts in ordered[:20]]


def month_starts(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    starts = [first]
    for _ in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        starts.append(first)
    return list(reversed(starts))


def monthly_contributions(session: Session, viewer: Any) -> dict[str, Any]:
    """Versions written per person and per team (the person's team, as kb.contributions
    groups them) in each of the last MONTHS months."""
    starts = month_starts(utcnow().date(), MONTHS)
    table: dict[str, dict[str, dict[str, int]]] = {"person": {}, "team": {}}
    ledger = Ledger.load(session, viewer)  # read once for the six months
    for start in starts:
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        month = start.isoformat()[:7]
        rows = contributions(session, since=start, until=end, group_by="person", ledger=ledger)
        for row in rows:
            person_cells = table["person"].setdefault(row["person"] or "—", {})
            person_cells[month] = row["versions_written"]
            team_cells = table["team"].setdefault(row["team"] or "—", {})
            team_cells[month] = team_cells.get(month, 0) + row["versions_written"]
    return {"months": [s.isoformat()[:7] for s in starts], "table": table}
