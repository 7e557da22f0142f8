"""Freshness: is a document still verified? Pure date arithmetic plus the audits built on it.

Each kind has a review interval (overridable per document with `review_interval_days`). The clock
starts at the last verification: the later of the content date (the `updated:` front-matter date,
else the time of the version) and the last review (`POST /documents/{id}/review`, `kb review`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from kb.access import Viewer, hidden_documents
from kb.clock import shifted, utcnow
from kb.documents import MAX_REVIEW_INTERVAL_DAYS
from kb.errors import InvalidInput
from kb.models import Document, Person, Reuse
from kb.vocabulary import Kind, Status, values

REVIEW_INTERVALS: dict[str, int | None] = {
    "competitor_intel": 90,
    "product_note": 180,
    "qa": 180,
    "proposal": 365,
    "glossary": 365,  # vocabulary changes slowly; a yearly look keeps it honest
    "bid_result": None,  # a record of what happened: it does not go stale
}
KINDS, STATUSES = values(Kind), values(Status)
FRESHNESS_STATUSES = ("fresh", "due_soon", "stale", "unowned")
UNOWNED_SCORE_CAP = 25
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Freshness:
    status: str  # fresh | due_soon | stale | unowned
    score: int  # 0-100
    interval_days: int | None  # None: the kind does not go stale
    last_verified: datetime
    due_at: datetime | None
    days_overdue: int  # whole days past due_at, 0 when not yet due

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_verified", "due_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def interval_days(document: Document) -> int | None:
    """The document's review interval: its own `review_interval_days`, else its kind's."""
    return interval_of(document.kind, document.meta.get("review_interval_days"))


def interval_of(kind: str, override: Any) -> int | None:
    """The review interval of a document of `kind` whose meta gives `override` (or None)."""
    # A value outside the limit (a store from before it) counts as no override.
    if isinstance(override, bool) or not isinstance(override, int):
        return REVIEW_INTERVALS.get(kind)
    if 0 < override <= MAX_REVIEW_INTERVAL_DAYS:
        return override
    return REVIEW_INTERVALS.get(kind)


def audit_time(day: date | None) -> datetime:
    """The moment an audit looks from: the start of `day`, or now."""
    return datetime.combine(day, datetime.min.time()) if day else utcnow()


def last_verified(document: Document) -> datetime:
    """The later of the content date and the last review (the update time when neither is set)."""
    return verified_at(document.content_date, document.reviewed_at, document.updated_at)


def verified_at(content: datetime | None, reviewed: datetime | None, updated: datetime) -> datetime:
    moments = [m for m in (content, reviewed) if m is not None]
    return max(moments) if moments else updated


def freshness_of(
    document: Document, *, now: datetime, owner_active: bool, due_soon_days: int = 14
) -> Freshness:
    """How current a document is at `now`.

    - stale: `now` is past `due_at` = last verified + interval;
    - due_soon: `due_at` is at most `due_soon_days` away (the boundary day counts as due soon);
    - fresh: otherwise, and always for kinds without an interval (bid_result);
    - unowned: the owner is missing or disabled (`owner_active` False), whatever the dates say;
      `due_at` and `days_overdue` are still reported.

    Score: with age = now - last verified (never negative) and I the interval,
    `score = round(clamp(100 * (1 - age / (2 * I)), 0, 100))`: 100 when just verified, 50 at
    the due date, 0 at two intervals and after. Without an interval the score is 100. An unowned
    document's score is capped at 25 so it sorts among the stale ones.
    """
    return freshness_at(
        last_verified(document),
        interval_days(document),
        now=now,
        owner_active=owner_active,
        due_soon_days=due_soon_days,
    )


def freshness_at(
    verified: datetime,
    interval: int | None,
    *,
    now: datetime,
    owner_active: bool,
    due_soon_days: int = 14,
) -> Freshness:
    """freshness_of for a document last verified at `verified` with review `interval`."""
    if interval is None:
        due_at = None
        score, status, overdue = 100, "fresh", 0
    else:
        due_at = shifted(verified, interval)
        age_days = max((now - verified) / DAY, 0.0)
        score = round(min(100.0, max(0.0, 100.0 * (1.0 - age_days / (2 * interval)))))
        overdue = max((now - due_at).days, 0)
        if now > due_at:
            status = "stale"
        elif due_at - now <= timedelta(days=due_soon_days):
            status = "due_soon"
        else:
            status = "fresh"
    if not owner_active:
        status, score = "unowned", min(score, UNOWNED_SCORE_CAP)
    return Freshness(status, score, interval, verified, due_at, overdue)


@dataclass
class AuditRow:
    document_id: int
    source_id: str
    title: str
    kind: str
    owner: str | None
    team: str | None
    document_status: str
    freshness: Freshness

    @classmethod
    def of(cls, document: Document, team: str | None, freshness: Freshness) -> AuditRow:
        assert document.id is not None
        return cls(
            document.id,
            document.source_id,
            document.title,
            document.kind,
            document.owner,
            team,
            document.status,
            freshness,
        )

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "freshness"}
        return {**data, **self.freshness.as_dict()}


AUDIT_COLUMNS = (
    "document_id",
    "source_id",
    "title",
    "kind",
    "owner",
    "team",
    "document_status",
    "status",
    "score",
    "interval_days",
    "last_verified",
    "due_at",
    "days_overdue",
)


def audit_freshness(
    session: Session,
    *,
    now: datetime,
    viewer: Viewer | None = None,
    owner: str | None = None,
    team: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    document_status: str | None = "active",
    due_soon_days: int = 14,
) -> list[AuditRow]:
    """Documents with their freshness, worst first (lowest score, then most overdue).

    `status` is a freshness status (fresh, due_soon, stale, unowned) or a document status
    (active, archived, deleted), which then replaces `document_status`. `document_status`
    None or "all" audits every document. `viewer` None (the local CLI) sees everything.
    """
    document_status = _check_filters(kind, status, document_status)
    if status in STATUSES:
        document_status, status = status, None
    people = {p.name: p for p in session.exec(select(Person))}
    hidden = hidden_documents(session, viewer)
    rows: list[AuditRow] = []
    for found in session.exec(_audited(document_status, kind, owner)):
        person = people.get(found.owner or "")
        owner_team = person.team if person else None
        if (team and owner_team != team) or found.id in hidden:
            continue
        fresh = freshness_at(
            verified_at(found.content_date, found.reviewed_at, found.updated_at),
            interval_of(found.kind, found.interval_days),
            now=now,
            owner_active=_active(person),
            due_soon_days=due_soon_days,
        )
        if status and fresh.status != status:
            continue
        row = (found.id, found.source_id, found.title, found.kind, found.owner, owner_team)
        rows.append(AuditRow(*row, found.status, fresh))
    rows.sort(key=lambda r: (r.freshness.score, -r.freshness.days_overdue, r.document_id))
    return rows


def _audited(document_status: str | None, kind: str | None, owner: str | None) -> Any:
    """The query for the documents an audit looks at: only the columns it reads (not the
    whole meta: its review interval only), so 10,000 documents stay cheap."""
    query = select(  # type: ignore[call-overload]  # sqlmodel types up to four columns
        Document.id,
        Document.source_id,
        Document.title,
        Document.kind,
        Document.owner,
        Document.status,
        Document.content_date,
        Document.reviewed_at,
        Document.updated_at,
        col(Document.meta)["review_interval_days"].label("interval_days"),
    ).order_by(col(Document.id))
    if document_status is not None:
        query = query.where(Document.status == document_status)
    if kind:
        query = query.where(Document.kind == kind)
    if owner:
        query = query.where(Document.owner == owner)
    return query


def archive_candidates(
    session: Session, *, now: datetime, viewer: Viewer | None = None
) -> list[AuditRow]:
    """Active documents not verified for more than two review intervals that nobody reused or
    viewed in those two intervals (last verified, last reuse and last view all older than
    `now - 2 * interval`). Kinds without an interval are never candidates."""
    last_reuse: dict[int, datetime] = defaultdict(lambda: datetime.min)
    for document_id, at in session.exec(select(Reuse.document_id, Reuse.at)):
        last_reuse[document_id] = max(last_reuse[document_id], at)
    documents = {d.id: d for d in session.exec(select(Document))}
    candidates = []
    for row in audit_freshness(session, now=now, viewer=viewer):
        interval = row.freshness.interval_days
        if interval is None:
            continue
        cutoff = shifted(now, -2 * interval)
        viewed = documents[row.document_id].viewed_at
        if (
            row.freshness.last_verified < cutoff
            and last_reuse[row.document_id] < cutoff
            and (viewed is None or viewed < cutoff)
        ):
            candidates.append(row)
    return candidates


def status_counts(rows: list[AuditRow]) -> dict[str, int]:
    counts = Counter(row.freshness.status for row in rows)
    return {status: counts.get(status, 0) for status in FRESHNESS_STATUSES}


def owner_is_active(session: Session, owner: str | None) -> bool:
    """True when the owner names an enabled person."""
    if not owner:
        return False
    return _active(session.exec(select(Person).where(Person.name == owner)).first())


def _active(person: Person | None) -> bool:
    return person is not None and not person.disabled


def _check_filters(kind: str | None, status: str | None, document_status: str | None) -> str | None:
    if kind and kind not in KINDS:
        raise InvalidInput(f"unknown kind '{kind}'; use one of {', '.join(KINDS)}")
    if status and status not in (*FRESHNESS_STATUSES, *STATUSES):
        raise InvalidInput(
            f"unknown status '{status}'; use one of {', '.join(FRESHNESS_STATUSES)} "
            f"(freshness) or {', '.join(STATUSES)} (document)"
        )
    if document_status in (None, "", "all"):
        return None
    if document_status not in STATUSES:
        raise InvalidInput(
            f"unknown document status '{document_status}'; use one of {', '.join(STATUSES)} or all"
        )
    return document_status
