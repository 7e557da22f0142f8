"""Contributions: who created, wrote, reviewed and shared what, counted from the event log.

Per person (or team, or document kind), over a date range:
- documents_created: 'create' events by the person, of documents not deleted since;
- documents_deleted: 'create' events of documents deleted since (mistakes, dropped work):
  marked, not counted as created;
- duplicates_deleted: 'create' events of documents deleted since as a near-duplicate of
  another (`DELETE /documents/{id}?duplicate_of=...`): marked apart, not counted as created;
- versions_written: 'create' and 'update' events (each writes a version), except reverted ones;
- versions_reverted: versions whose change the next version undid (it brought back the content
  of the version before): marked, not counted as written;
- reviews: 'review' events;
- competitor_intel_added: 'create' events on competitor_intel documents;
- reused_by_others: reuse records on a version the person authored, by someone else
  (a reuse counts for the author of the reused version, when that author is a person kb
  knows; reuses by the author are left out);
- reused_in_won_bids: those reuses whose bid was won (a `Bid` row, else a bid_result document
  with that `bid` reference).

Work attributed to a system identity (SYSTEM_IDENTITIES: the set-up's imports) is nobody's
contribution and is left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from kb.access import Viewer, hidden_documents
from kb.bids import bid_outcomes
from kb.clock import after_day
from kb.errors import InvalidInput
from kb.models import Document, DocumentVersion, Event, Person, Reuse
from kb.people import SYSTEM_IDENTITIES
from kb.vocabulary import Kind, Outcome, Status

GROUPS = ("person", "team", "kind")
METRICS = (
    "documents_created",
    "documents_deleted",
    "duplicates_deleted",
    "versions_written",
    "versions_reverted",
    "reviews",
    "competitor_intel_added",
    "reused_by_others",
    "reused_in_won_bids",
)
COUNTED_ACTIONS = ("create", "update", "review")


@dataclass(frozen=True)
class DateRange:
    """Whole days: from the start of `since` up to the end of `until` (both included), i.e.
    `since 00:00 <= at < (until + 1 day) 00:00` in UTC. Either end may be open (None)."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(f"since ({self.since}) is after until ({self.until})")

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.since, datetime.min.time()) if self.since else None

    @property
    def end(self) -> datetime | None:
        """Exclusive: midnight after `until`."""
        return after_day(self.until) if self.until else None

    def where(self, column: Any) -> list[Any]:
        clauses = []
        if self.start is not None:
            clauses.append(column >= self.start)
        if self.end is not None:
            clauses.append(column < self.end)
        return clauses


def parse_day(value: str | date | None, name: str) -> date | None:
    """A YYYY-MM-DD date from a query parameter or flag; empty means open-ended."""
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"'{name}' must be a date YYYY-MM-DD (got '{value}')") from None


@dataclass(frozen=True)
class Ledger:
    """What counting any period reads besides its events and reuses: documents' kinds and
    deletions (and which were duplicates), reverted versions, people's teams, the documents
    hidden from the viewer. Load it once to count several periods (the dashboard's months)."""

    kinds: dict[int | None, str]
    deleted: set[int | None]
    duplicates: set[int]
    reverted: set[tuple[int, int]]
    teams: dict[str, str | None]
    hidden: set[int]

    @classmethod
    def load(cls, session: Session, viewer: Viewer | None) -> Ledger:
        rows = session.exec(select(Document.id, Document.kind, Document.status)).all()
        deleted = {doc_id for doc_id, _, status in rows if status == Status.deleted}
        return cls(
            kinds={doc_id: kind for doc_id, kind, _ in rows},
            deleted=deleted,
            duplicates=deleted_as_duplicates(session, deleted),
            reverted=reverted_versions(session),
            teams={p.name: p.team for p in session.exec(select(Person))},
            hidden=hidden_documents(session, viewer),
        )


def contributions(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    group_by: str = "person",
    viewer: Viewer | None = None,
    ledger: Ledger | None = None,
) -> list[dict[str, Any]]:
    """One row per person, team or kind with activity from `since` to `until` (whole days, both
    included; see DateRange), sorted by name (None last). Rows by person also carry the
    person's team; people not in the people table have team None. Activity on confidential
    documents the `viewer` may not see is left out (None: the local operator sees all).
    `ledger`: one loaded for this viewer already (see Ledger)."""
    if group_by not in GROUPS:
        raise InvalidInput(f"unknown group_by '{group_by}'; use one of {', '.join(GROUPS)}")
    period = DateRange(since, until)
    ledger = ledger or Ledger.load(session, viewer)
    teams = ledger.teams
    counts: dict[str | None, Counter[str]] = defaultdict(Counter)
    for person, kind, metric in _facts(session, period, ledger):
        key = {"person": person, "team": teams.get(person or ""), "kind": kind}[group_by]
        counts[key][metric] += 1
    rows = []
    for key in sorted(counts, key=lambda k: (k is None, k or "")):
        row: dict[str, Any] = {group_by: key}
        if group_by == "person":
            row["team"] = teams.get(key or "")
        row.update({metric: counts[key].get(metric, 0) for metric in METRICS})
        rows.append(row)
    return rows


def _facts(
    session: Session, period: DateRange, ledger: Ledger
) -> Iterator[tuple[str | None, str, str]]:
    """(person, document kind, metric) for each counted thing in the period, leaving out
    activity on the ledger's hidden documents."""
    kinds, deleted, reverted, hidden = ledger.kinds, ledger.deleted, ledger.reverted, ledger.hidden
    duplicates = ledger.duplicates
    events = session.execute(
        sa_select(
            col(Event.actor),
            col(Event.action),
            col(Event.detail),
            col(Event.document_id),
            col(Event.version),
        ).where(col(Event.action).in_(COUNTED_ACTIONS), *period.where(Event.at))
    )
    for actor, action, detail, document_id, version in events:
        if document_id in hidden or actor in SYSTEM_IDENTITIES:
            continue
        current_kind = kinds.get(document_id) if document_id is not None else None
        kind = str(current_kind or (detail or {}).get("kind") or "")
        if action == "review":
            yield actor, kind, "reviews"
            continue
        reverted_version = (document_id, version) in reverted
        yield actor, kind, "versions_reverted" if reverted_version else "versions_written"
        if action == "create":
            yield actor, kind, _creation_metric(document_id, deleted, duplicates)
            if (detail or {}).get("kind", kind) == Kind.competitor_intel:
                yield actor, kind, "competitor_intel_added"
    yield from _reuse_facts(session, period, hidden, kinds)


def _reuse_facts(
    session: Session, period: DateRange, hidden: set[int], kinds: dict[int | None, str]
) -> Iterator[tuple[str | None, str, str]]:
    """Reuse by others of versions written by people kb knows, and reuse in won bids."""
    reuses = session.exec(
        select(Reuse.user, Reuse.bid_ref, DocumentVersion.author, Reuse.document_id)
        .join(
            DocumentVersion,
            and_(
                col(DocumentVersion.document_id) == Reuse.document_id,
                col(DocumentVersion.number) == Reuse.version,
            ),
            isouter=True,
        )
        .where(*period.where(Reuse.at))
    ).all()
    outcomes = bid_outcomes(session, {row[1] for row in reuses if row[1]})
    people = set(session.exec(select(Person.name)))
    for user, bid_ref, author, document_id in reuses:
        if author not in people or user == author or document_id in hidden:
            continue
        kind = kinds.get(document_id, "")
        yield author, kind, "reused_by_others"
        if bid_ref and outcomes.of_bid(bid_ref) == Outcome.won:
            yield author, kind, "reused_in_won_bids"


def _creation_metric(
    document_id: int | None, deleted: set[int | None], duplicates: set[int]
) -> str:
    if document_id in duplicates:
        return "duplicates_deleted"
    return "documents_deleted" if document_id in deleted else "documents_created"


def deleted_as_duplicates(session: Session, deleted: set[int | None]) -> set[int]:
    """The deleted documents whose last deletion named the document they duplicate."""
    last: dict[int, bool] = {}
    for document_id, detail in session.exec(
        select(Event.document_id, Event.detail)
        .where(Event.action == "delete", col(Event.document_id).in_(list(deleted)))
        .order_by(col(Event.id))
    ):
        if document_id is not None:
            last[document_id] = bool((detail or {}).get("duplicate_of"))
    return {document_id for document_id, duplicate in last.items() if duplicate}


def reverted_versions(session: Session) -> set[tuple[int, int]]:
    """(document id, version) of the versions whose change the next version undid: it has the
    content of the version before them."""
    rows = session.exec(
        select(
            DocumentVersion.document_id, DocumentVersion.number, DocumentVersion.content_hash
        ).order_by(col(DocumentVersion.document_id), col(DocumentVersion.number))
    )
    hashes: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for document_id, number, content_hash in rows:
        hashes[document_id].append((number, content_hash))
    found = set()
    for document_id, versions in hashes.items():
        for before, middle, after in zip(versions, versions[1:], versions[2:], strict=False):
            if after[1] == before[1]:
                found.add((document_id, middle[0]))
    return found
