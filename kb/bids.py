"""One record of each bid: its outcome (kb.reuse.record_outcome), its `bid_result` document
(written by ingest.bids), the proposals written for it and the reuse that went into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.access import Viewer, can_see, grants_of
from kb.errors import NotFound
from kb.models import Bid, Document, Reuse
from kb.vocabulary import Kind, Status

# The fields of a bid_result document an outcome report writes.
OUTCOME_FIELDS = ("outcome", "reasons", "competitors", "amount", "decision_date")


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


def documents_naming(session: Session, ref: str, kind: Kind) -> list[Document]:
    """Documents of `kind` (not deleted) whose `bid` is `ref`, oldest first."""
    found = session.exec(
        select(Document)
        .where(Document.kind == kind, Document.status != Status.deleted)
        .order_by(col(Document.id))
    )
    return [d for d in found if str(d.meta.get("bid") or "") == ref]


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
    record = BidRecord(ref, bid.outcome if bid else None, reuse_count=len(reuse))
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
            record.outcome = record.outcome or meta.get("outcome")
    return record


def _summary(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "source_id": document.source_id,
        "version": document.current_version,
        "title": document.title,
    }
