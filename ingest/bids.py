"""A bid's outcome, reported by the proposal tool, written where search, the audit and win
rates read it: the bid's record (kb.reuse.record_outcome) and a new version of its `bid_result`
document, made when kb knows the bid only from reuse or a proposal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from ingest.chunking import ChunkBudget
from ingest.submission import Submission, revise, submit_new
from kb.bids import bid_result_of, documents_naming
from kb.errors import InvalidInput
from kb.models import Bid
from kb.reuse import record_outcome
from kb.store import SaveResult
from kb.vocabulary import Kind


@dataclass
class OutcomeReport:
    outcome: str
    reasons: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    amount: float | None = None
    decision_date: date | None = None
    customer: str | None = None  # needed only when kb has no document naming the bid

    def fields(self) -> dict[str, Any]:
        """The bid_result fields this report sets (those it gives)."""
        given: dict[str, Any] = {"outcome": self.outcome}
        if self.reasons:
            given["reasons"] = self.reasons
        if self.competitors:
            given["competitors"] = self.competitors
        if self.amount is not None:
            given["amount"] = self.amount
        if self.decision_date is not None:
            given["decision_date"] = self.decision_date.isoformat()
        return given


def report_outcome(
    session: Session, budget: ChunkBudget, ref: str, report: OutcomeReport, *, author: str
) -> tuple[Bid, SaveResult]:
    """Record the outcome and write it into the bid's bid_result document (a new version, or a
    new document)."""
    bid = record_outcome(session, ref, report.outcome, recorded_by=author)
    note = f"outcome {report.outcome} reported by {author}"
    document = bid_result_of(session, bid.ref)
    if document is not None:
        submission = Submission(report.fields(), None, note)
        saved = revise(
            session,
            budget,
            document,
            submission,
            base_version=document.current_version,
            author=author,
        )
    else:
        saved = submit_new(
            session, budget, _new_result(session, bid.ref, report, note), author=author
        )
    return bid, saved


def _new_result(session: Session, ref: str, report: OutcomeReport, note: str) -> Submission:
    """A bid_result document for a bid kb knows only from reuse or a proposal."""
    proposals = documents_naming(session, ref, Kind.proposal)
    proposal = proposals[0] if proposals else None
    customer = report.customer or (proposal.meta.get("customer") if proposal else None)
    if not customer:
        raise InvalidInput(
            f"kb has no document naming bid '{ref}', so its bid_result document needs the "
            'customer: add "customer" to the report'
        )
    fields: dict[str, Any] = {
        "id": f"bid-{_slug(ref)}",
        "kind": Kind.bid_result.value,
        "title": f"{ref} {customer}: {report.outcome}",
        "bid": ref,
        "customer": customer,
        "owner": proposal.owner if proposal else None,
        **report.fields(),
    }
    if proposal is not None and proposal.meta.get("industry"):
        fields["industry"] = proposal.meta["industry"]
    lines = [f"# {fields['title']}", "", f"- outcome: {report.outcome}"]
    lines += [f"- reason: {reason}" for reason in report.reasons]
    return Submission(fields, "\n".join(lines) + "\n", note)


def _slug(ref: str) -> str:
    return re.sub(r"[^\w]+", "-", ref.lower()).strip("-_") or "bid"
