"""Reuse of content in proposals, and the outcomes of the bids it went into.

The proposal tool records each reuse (a chunk or a whole version, in a proposal that belongs to
a bid) and later the bid's outcome; reuse counts and content win rates follow from the two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.bids import bid_outcomes
from kb.clock import utcnow
from kb.errors import InvalidInput, NotFound
from kb.events import record_event
from kb.glossary import load_glossary
from kb.models import Bid, Chunk, Document, DocumentVersion, Reuse
from kb.people import find_person
from kb.store import row_id
from kb.versions import get_version
from kb.vocabulary import Outcome, field_values, values

MAX_REF_CHARS = 200


@dataclass(frozen=True)
class ReuseStats:
    reuse_count: int = 0
    won: int = 0  # distinct won bids the content was reused in
    lost: int = 0

    @property
    def win_rate(self) -> float | None:
        """Won / (won + lost); None while no bid it went into has been decided."""
        decided = self.won + self.lost
        return round(self.won / decided, 4) if decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reuse_count": self.reuse_count,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
        }


def record_reuse(
    session: Session,
    document: Document,
    *,
    proposal_ref: str,
    chunk_id: int | None = None,
    version: int | None = None,
    bid_ref: str | None = None,
    user: str | None = None,
    recorded_by: str | None = None,
    now: datetime | None = None,
) -> Reuse:
    """Record that `document` (one of its chunks, or a version) went into a proposal.

    With `chunk_id` the version is the chunk's; otherwise `version` (default: current).
    Idempotent: the same (proposal, chunk or version, person) reported again returns the record
    made the first time (its `at` tells them apart from a new one)."""
    proposal_ref = _ref(proposal_ref, "proposal_ref")
    bid_ref = _ref(bid_ref, "bid_ref") if bid_ref is not None else None
    assert document.id is not None
    number = _reused_version(session, document, chunk_id, version)
    existing = _same_reuse(session, document.id, chunk_id, number, proposal_ref, user)
    if existing is not None:  # reported again: the same record, nothing new
        return existing
    now = now or utcnow()
    reuse = Reuse(
        at=now,
        chunk_id=chunk_id,
        document_id=document.id,
        version=number,
        proposal_ref=proposal_ref,
        bid_ref=bid_ref,
        user=user,
        recorded_by=recorded_by,
    )
    session.add(reuse)
    record_event(
        session,
        "reuse",
        actor=recorded_by,
        document_id=document.id,
        version=number,
        at=now,
        detail={
            "proposal_ref": proposal_ref,
            "bid_ref": bid_ref,
            "chunk_id": chunk_id,
            "user": user,
        },
    )
    session.flush()
    return reuse


def _same_reuse(
    session: Session,
    document_id: int,
    chunk_id: int | None,
    version: int,
    proposal_ref: str,
    user: str | None,
) -> Reuse | None:
    query = select(Reuse).where(
        Reuse.document_id == document_id,
        Reuse.proposal_ref == proposal_ref,
        Reuse.version == version,
        col(Reuse.chunk_id).is_(None) if chunk_id is None else Reuse.chunk_id == chunk_id,
        col(Reuse.user).is_(None) if user is None else Reuse.user == user,
    )
    return session.exec(query.order_by(col(Reuse.id))).first()


def check_reuser(session: Session, user: str) -> None:
    """The person a reuse is reported for must be a kb user."""
    if find_person(session, user) is None:
        raise InvalidInput(f"user '{user}' is not a kb user; name a person `kb users list` shows")


def list_reuse(
    session: Session,
    *,
    bid_ref: str | None = None,
    document_id: int | None = None,
    hidden: set[int] | None = None,
) -> list[Reuse]:
    """Recorded reuse, oldest first, of one bid and/or one document, leaving out `hidden`
    documents."""
    query = select(Reuse)
    if bid_ref is not None:
        query = query.where(Reuse.bid_ref == bid_ref.strip())
    if document_id is not None:
        query = query.where(Reuse.document_id == document_id)
    found = session.exec(query.order_by(col(Reuse.at), col(Reuse.id)))
    return [r for r in found if r.document_id not in (hidden or set())]


def _reused_version(
    session: Session, document: Document, chunk_id: int | None, version: int | None
) -> int:
    """The version a reuse is of: the chunk's, which `version` (if given) must agree with;
    else `version`, else the current one."""
    if chunk_id is None:
        return get_version(session, document, version or document.current_version).number
    number = _chunk_version(session, document, chunk_id)
    if version is not None and version != number:
        raise InvalidInput(
            f"chunk {chunk_id} belongs to version {number} of document {document.id}, "
            f"not version {version}"
        )
    return number


def document_of_chunk(session: Session, chunk_id: int) -> Document:
    row = row_id(chunk_id)
    chunk = session.get(Chunk, row) if row is not None else None
    document = session.get(Document, chunk.document_id) if chunk is not None else None
    if document is None:
        raise NotFound(f"no chunk with id {chunk_id}")
    return document


def _chunk_version(session: Session, document: Document, chunk_id: int) -> int:
    row = session.exec(
        select(DocumentVersion.number)
        .join(Chunk, col(Chunk.version_id) == DocumentVersion.id)
        .where(Chunk.id == chunk_id, Chunk.document_id == document.id)
    ).first()
    if row is None:
        raise NotFound(f"document {document.id} has no chunk with id {chunk_id}")
    return int(row)


def record_outcome(
    session: Session,
    bid_ref: str,
    outcome: str,
    *,
    recorded_by: str | None = None,
    now: datetime | None = None,
) -> Bid:
    """Set (or change) a bid's outcome: won, lost, withdrawn or pending."""
    bid_ref = _ref(bid_ref, "bid reference")
    if outcome not in values(Outcome):
        raise InvalidInput(f"unknown outcome '{outcome}'; use one of {', '.join(values(Outcome))}")
    now = now or utcnow()
    bid = session.get(Bid, bid_ref)
    previous = bid.outcome if bid is not None else None
    if bid is None:
        _check_known_bid(session, bid_ref)
        bid = Bid(ref=bid_ref, outcome=outcome)
    bid.outcome, bid.recorded_at, bid.recorded_by = outcome, now, recorded_by
    session.add(bid)
    record_event(
        session,
        "outcome",
        actor=recorded_by,
        at=now,
        detail={"bid_ref": bid_ref, "outcome": outcome, "previous": previous},
    )
    session.flush()
    return bid


def reuse_stats(session: Session, document_ids: Iterable[int]) -> dict[int, ReuseStats]:
    """Per document: how often it was reused, and in how many won and lost bids.

    A bid counts once per document however many of its chunks went into it. Outcomes are
    the bids' as everyone may know them (kb.bids.bid_outcomes): a confidential bid_result's
    outcome counts for no one."""
    wanted = list(dict.fromkeys(document_ids))
    if not wanted:
        return {}
    reuses = session.exec(
        select(Reuse.document_id, Reuse.bid_ref).where(col(Reuse.document_id).in_(wanted))
    ).all()
    refs = {ref for _, ref in reuses if ref}
    outcomes = bid_outcomes(session, refs)
    counts: dict[int, int] = defaultdict(int)
    bids: dict[int, set[str]] = defaultdict(set)
    for document_id, bid_ref in reuses:
        counts[document_id] += 1
        if bid_ref:
            bids[document_id].add(bid_ref)
    stats: dict[int, ReuseStats] = {}
    for document_id in wanted:
        decided = [outcomes.of_bid(ref) for ref in bids[document_id]]
        stats[document_id] = ReuseStats(
            counts[document_id], decided.count("won"), decided.count("lost")
        )
    return stats


def _check_known_bid(session: Session, bid_ref: str) -> None:
    """kb knows a bid from a reuse that named it, or from a document that names it (a
    bid_result, or a proposal linked to its bid)."""
    if session.exec(select(Reuse.id).where(Reuse.bid_ref == bid_ref).limit(1)).first():
        return
    documents = session.exec(
        select(Document.meta).where(col(Document.kind).in_(("bid_result", "proposal")))
    )
    if any(str((meta or {}).get("bid") or "") == bid_ref for meta in documents):
        return
    raise NotFound(
        f"no bid '{bid_ref}': record the reuse that went into it first (POST /reuse with "
        "bid_ref), or add its bid_result document"
    )


def _ref(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{name} is empty")
    if len(text) > MAX_REF_CHARS:
        raise InvalidInput(f"{name} has {len(text)} characters; the limit is {MAX_REF_CHARS}")
    return text


@dataclass(frozen=True)
class ReuseRecord:
    """One reuse of a document, with the outcome of its bid when known."""

    at: datetime
    proposal_ref: str
    bid_ref: str | None
    version: int
    user: str | None
    outcome: str | None


def reuses_of(session: Session, document_id: int) -> list[ReuseRecord]:
    """Where a document went, newest first: proposals, bids and how those bids ended."""
    rows = list(
        session.exec(
            select(Reuse).where(Reuse.document_id == document_id).order_by(col(Reuse.at).desc())
        )
    )
    outcomes = bid_outcomes(session, {r.bid_ref for r in rows if r.bid_ref})
    return [
        ReuseRecord(
            r.at, r.proposal_ref, r.bid_ref, r.version, r.user, outcomes.of_bid(r.bid_ref or "")
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ReuseBreakdown:
    value: str
    stats: ReuseStats


def reuse_by_field(
    session: Session, field: str, hidden: Collection[int] = ()
) -> list[ReuseBreakdown]:
    """Reuse count and won/lost bids per value of a document field (`competitors` also counts
    `competitor`; `industry`), most reused first, leaving out `hidden` documents. Values are
    grouped by their glossary name (华为云 and Huawei count as Huawei Cloud)."""
    glossary = load_glossary(session)
    stats = reuse_stats(session, list(session.exec(select(Reuse.document_id).distinct())))
    documents = session.exec(select(Document).where(col(Document.id).in_(list(stats))))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for document in documents:
        if document.id is None or document.id in hidden:
            continue
        for value in _field_values(glossary.canonical_meta(document.meta), field):
            used = stats[document.id]
            for i, n in enumerate((used.reuse_count, used.won, used.lost)):
                totals[value][i] += n
    rows = [ReuseBreakdown(v, ReuseStats(*counts)) for v, counts in totals.items()]
    return sorted(rows, key=lambda r: (-r.stats.reuse_count, r.value))


def _field_values(meta: dict[str, Any], field: str) -> set[str]:
    return {value.strip() for value in field_values(meta, field) if value.strip()}
