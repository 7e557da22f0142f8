"""One record of each bid: its outcome (kb.reuse.record_outcome), its `bid_result` document
(written by ingest.bids), the proposals written for it and the reuse that went into it; and the
one rule for a bid's outcome: a recorded outcome wins over a bid_result document's.

Catalog filters, suggestions, reuse statistics, contributions, win/loss and the bid record all
read outcomes through `bid_outcomes` / `decided_outcome`, so they agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlmodel import Session, col, select

from kb.access import Viewer, can_see, grants_of
from kb.errors import NotFound
from kb.models import Bid, Document, Reuse
from kb.vocabulary import Confidentiality, Kind, Status

# The fields of a bid_result document an outcome report writes.
OUTCOME_FIELDS = ("outcome", "reasons", "competitors", "amount", "decision_date")
# The audience of figures everyone reads (catalog filters, reuse statistics, contributions):
# a confidential bid_result's outcome stays in that document for them.
EVERYONE: Final = "everyone"
Audience = Viewer | None | Literal["everyone"]


def decided_outcome(recorded: str | None, reported: str | None) -> str | None:
    """A bid's outcome: the recorded one (POST /bids/{ref}/outcome) wins over the one its
    bid_result document reports."""
    return recorded or reported


@dataclass(frozen=True)
class BidOutcomes:
    """What kb knows of some bids' outcomes: recorded, and reported by the bid_result documents
    (the oldest per bid) an audience may rely on."""

    recorded: Mapping[str, str]
    reported: Mapping[str, str]

    def of_bid(self, ref: str) -> str | None:
        return decided_outcome(self.recorded.get(ref), self.reported.get(ref))

    def of_document(self, kind: str, meta: Mapping[str, Any]) -> str | None:
        """The outcome a document shows: a bid_result its own report, unless its bid's outcome
        was recorded; any other document its bid's."""
        ref = str(meta.get("bid") or "")
        if kind == Kind.bid_result:
            reported = meta.get("outcome")
            return decided_outcome(self.recorded.get(ref), str(reported) if reported else None)
        return self.of_bid(ref) if ref else None


def bid_outcomes(
    session: Session, refs: Iterable[str] | None = None, audience: Audience = EVERYONE
) -> BidOutcomes:
    """The outcomes of bids `refs` (None: every bid) as `audience` may know them."""
    wanted = None if refs is None else set(refs)
    if wanted is not None and not wanted:
        return BidOutcomes({}, {})
    return BidOutcomes(
        recorded_outcomes(session, wanted), reported_outcomes(session, wanted, audience)
    )


def recorded_outcomes(session: Session, refs: Iterable[str] | None = None) -> dict[str, str]:
    """The outcomes recorded (kb.reuse.record_outcome) of bids `refs` (None: every bid)."""
    query = select(Bid)
    if refs is not None:
        query = query.where(col(Bid.ref).in_(list(refs)))
    return {bid.ref: bid.outcome for bid in session.exec(query)}


def reported_outcomes(
    session: Session, refs: set[str] | None, audience: Audience
) -> dict[str, str]:
    """Per bid, the outcome its oldest bid_result document (not deleted) that `audience` may
    rely on reports."""
    results = documents_naming(session, None, Kind.bid_result)
    relied_on = _relied_on(session, results, audience)
    found: dict[str, str] = {}
    for document in results:
        ref, outcome = str(document.meta.get("bid") or ""), document.meta.get("outcome")
        if not ref or not outcome or ref in found or (refs is not None and ref not in refs):
            continue
        if relied_on(document):
            found[ref] = str(outcome)
    return found


def _relied_on(
    session: Session, documents: list[Document], audience: Audience
) -> Callable[[Document], bool]:
    """Whether `audience` may rely on one of `documents`: everyone on those not confidential,
    a viewer on those they may see."""
    if audience == EVERYONE:
        return lambda d: d.confidentiality != Confidentiality.confidential
    assert not isinstance(audience, str)
    grants = grants_of(session, [d.id for d in documents if d.id is not None])
    return lambda d: can_see(
        audience,
        confidentiality=d.confidentiality,
        owner=d.owner,
        grants=frozenset(grants.get(d.id or -1, ())),
    )


@dataclass
class BidRecord:
    ref: str
    outcome: str | None
    recorded_at: datetime | None = None
    recorded_by: str | None = None
    document: dict[str, Any] | None = None  # the bid_result: id, source_id, version, title
    fields: dict[str, Any] = field(default_factory=dict)  # customer and OUTCOME_FIELDS
    proposals: list[dict[str, Any]] = field(default_factory=list)
    reuse_count: int = 0


def documents_naming(session: Session, ref: str | None, kind: Kind) -> list[Document]:
    """Documents of `kind` (not deleted) whose `bid` is `ref` (None: any), oldest first."""
    found = session.exec(
        select(Document)
        .where(Document.kind == kind, Document.status != Status.deleted)
        .order_by(col(Document.id))
    )
    return [d for d in found if ref is None or str(d.meta.get("bid") or "") == ref]


def bid_result_of(session: Session, ref: str) -> Document | None:
    found = documents_naming(session, ref, Kind.bid_result)
    return found[0] if found else None


def bid_record(session: Session, ref: str, viewer: Viewer | None) -> BidRecord:
    """What kb knows of bid `ref`, without documents `viewer` may not see; NotFound when it
    knows nothing."""
    ref = ref.strip()
    bid = session.get(Bid, ref)
    grants = grants_of(session)
    visible = [
        d
        for d in (
            *documents_naming(session, ref, Kind.bid_result),
            *documents_naming(session, ref, Kind.proposal),
        )
        if can_see(
            viewer,
            confidentiality=d.confidentiality,
            owner=d.owner,
            grants=frozenset(grants.get(d.id or -1, ())),
        )
    ]
    reuse = session.exec(select(Reuse.id).where(Reuse.bid_ref == ref)).all()
    if bid is None and not visible and not reuse:
        raise NotFound(f"no bid '{ref}'")
    record = BidRecord(ref, None, reuse_count=len(reuse))
    if bid is not None:
        record.recorded_at, record.recorded_by = bid.recorded_at, bid.recorded_by
    for document in visible:
        summary = _summary(document)
        if document.kind == Kind.proposal:
            record.proposals.append(summary)
        elif record.document is None:
            record.document = summary
            meta = document.meta
            record.fields = {k: meta[k] for k in ("customer", *OUTCOME_FIELDS) if k in meta}
    record.outcome = bid_outcomes(session, [ref], viewer).of_bid(ref)
    return record


def _summary(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "source_id": document.source_id,
        "version": document.current_version,
        "title": document.title,
    }
