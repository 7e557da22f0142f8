"""Win/loss analytics over bid results: counts, win rate, amounts and the most cited reasons
per competitor, industry, product, quarter or owner; and one competitor's page (its intel,
newest first with freshness, the bids against it, our win rate).

Names are grouped by `group_key`, the one place that asks the team glossary (`kb.glossary`):
a competitor, industry or product written in either language or any listed spelling (华为云,
Huawei, HWC, huawei-cloud) counts in one group, shown under its canonical name (Huawei Cloud).
Names the glossary does not know are grouped as its forms are compared: case-insensitively and
without spaces or hyphens.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from kb.access import Viewer, hidden_documents
from kb.bids import BidOutcomes, recorded_outcomes
from kb.errors import InvalidInput
from kb.freshness import freshness_of, owner_is_active
from kb.glossary import Glossary, form_key, load_glossary
from kb.models import Document
from kb.vocabulary import Kind, Outcome, Status, field_values, values

GROUPS = ("competitor", "industry", "product", "quarter", "owner")
TOP_REASONS = 5
OUTCOMES = values(Outcome)
# The groups whose names the glossary knows (a group_by is also the field's filter name).
NAMED_GROUPS = ("competitor", "industry", "product")


def shown_name(name: str, group_by: str, glossary: Glossary) -> str:
    """How a name is shown: its canonical name when the glossary knows it, else as written."""
    return glossary.canonical(group_by, name) if group_by in NAMED_GROUPS else name


def group_key(name: str, group_by: str, glossary: Glossary) -> str:
    """The key names are grouped by: the glossary's key of their canonical name (names of one
    thing in either language share it), or the name's form key when the glossary names no
    values of the group (quarters, owners, reasons)."""
    return glossary.name_key(group_by, name) if group_by in NAMED_GROUPS else form_key(name)


@dataclass
class BidFacts:
    document_id: int
    bid: str
    customer: str | None
    outcome: str
    amount: float | None
    decided: str | None
    owner: str | None
    industry: str | None
    competitors: list[str]
    products: list[str]
    reasons: list[str]

    def values(self, group_by: str) -> list[str]:
        """The group(s) this bid counts in (a bid against two competitors counts in both)."""
        if group_by == "competitor":
            return self.competitors
        if group_by == "product":
            return self.products
        if group_by == "quarter":
            return [_quarter(self.decided)] if self.decided else []
        found = self.industry if group_by == "industry" else self.owner
        return [found] if found else []

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Tally:
    names: Counter[str] = field(default_factory=Counter)  # as written
    shown: Counter[str] = field(default_factory=Counter)  # canonical names
    outcomes: Counter[str] = field(default_factory=Counter)
    amounts: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    reasons: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, name: str, shown: str, bid: BidFacts) -> None:
        self.names[name] += 1
        self.shown[shown] += 1
        self.outcomes[bid.outcome] += 1
        self.amounts[bid.outcome] += bid.amount or 0
        for reason in bid.reasons:
            self.reasons[bid.outcome][reason] += 1

    def as_dict(self, group_by: str) -> dict[str, Any]:
        won, lost = self.outcomes["won"], self.outcomes["lost"]
        return {
            group_by: self.shown.most_common(1)[0][0],
            "names": sorted(self.names),
            **{outcome: self.outcomes[outcome] for outcome in OUTCOMES},
            "bids": sum(self.outcomes.values()),
            "win_rate": round(won / (won + lost), 4) if won + lost else None,
            "amount_won": self.amounts.get("won", 0.0),
            "amount_lost": self.amounts.get("lost", 0.0),
            "amount_total": sum(self.amounts.values()),
            "reasons_won": _top(self.reasons["won"]),
            "reasons_lost": _top(self.reasons["lost"]),
        }


def win_loss(
    session: Session,
    *,
    group_by: str,
    viewer: Viewer | None = None,
    competitor: str | None = None,
    industry: str | None = None,
) -> list[dict[str, Any]]:
    """One row per group, most bids first: won / lost / withdrawn / pending, win rate (won /
    decided), amounts, and the most cited reasons of wins and of losses. `competitor` and
    `industry` keep only the bids against that competitor / in that industry."""
    if group_by not in GROUPS:
        raise InvalidInput(f"unknown group_by '{group_by}'; use one of {', '.join(GROUPS)}")
    glossary = load_glossary(session)
    tallies: dict[str, Tally] = defaultdict(Tally)
    for bid in bid_facts(session, viewer):
        if competitor and not _against(bid, competitor, glossary):
            continue
        if industry and not _same(industry, bid.industry, "industry", glossary):
            continue
        for name in bid.values(group_by):
            tallies[group_key(name, group_by, glossary)].add(
                name, shown_name(name, group_by, glossary), bid
            )
    rows = [tally.as_dict(group_by) for tally in tallies.values()]
    rows.sort(key=lambda r: (-r["bids"], str(r[group_by])))
    return rows


def bid_facts(session: Session, viewer: Viewer | None = None) -> list[BidFacts]:
    """Every bid_result the viewer may see (not deleted), with the outcome it shows
    (kb.bids: a recorded outcome wins over the document's; pending when neither says)."""
    hidden = hidden_documents(session, viewer)
    glossary = load_glossary(session)
    documents = session.exec(
        select(Document)
        .where(Document.kind == Kind.bid_result, Document.status != Status.deleted)
        .order_by(col(Document.id))
    )
    # Each bid_result shows its own report: only the recorded outcomes are needed besides.
    outcomes = BidOutcomes(recorded_outcomes(session), reported={})
    found = []
    for document in documents:
        if document.id is None or document.id in hidden:
            continue
        meta = document.meta
        ref = str(meta.get("bid") or document.source_id)
        competitors = _names(field_values(meta, "competitors"), "competitor", glossary)
        found.append(
            BidFacts(
                document_id=document.id,
                bid=ref,
                customer=meta.get("customer"),
                outcome=outcomes.of_document(Kind.bid_result, meta) or Outcome.pending.value,
                amount=meta.get("amount"),
                decided=meta.get("decision_date"),
                owner=document.owner,
                industry=meta.get("industry"),
                competitors=competitors,
                products=_names(field_values(meta, "products"), "product", glossary),
                reasons=_names(field_values(meta, "reasons"), "reason", glossary),
            )
        )
    return found


def competitor_page(
    session: Session,
    name: str,
    *,
    now: datetime,
    viewer: Viewer | None = None,
    due_soon_days: int = 14,
) -> dict[str, Any]:
    """A competitor's intel (newest first, with freshness), the bids against it (newest
    decision first) and our win rate against it. `name` may be any name the glossary gives
    the competitor; the page shows its canonical name."""
    glossary = load_glossary(session)
    hidden = hidden_documents(session, viewer)
    intel = []
    for document in session.exec(
        select(Document).where(
            Document.kind == Kind.competitor_intel, Document.status == Status.active
        )
    ):
        names = field_values(document.meta, "competitors")
        if document.id in hidden or not _names_competitor(names, name, glossary):
            continue
        fresh = freshness_of(
            document,
            now=now,
            owner_active=owner_is_active(session, document.owner),
            due_soon_days=due_soon_days,
        )
        intel.append(_intel_row(document, fresh.as_dict()))
    intel.sort(key=lambda row: (row["content_date"] or "", row["id"]), reverse=True)
    bids = [b for b in bid_facts(session, viewer) if _against(b, name, glossary)]
    bids.sort(key=lambda b: (b.decided or "", b.document_id), reverse=True)
    won, lost = (sum(b.outcome == o for b in bids) for o in ("won", "lost"))
    return {
        "competitor": shown_name(name, "competitor", glossary),
        "intel": intel,
        "bids": [b.as_dict() for b in bids],
        **{o: sum(b.outcome == o for b in bids) for o in OUTCOMES},
        "win_rate": round(won / (won + lost), 4) if won + lost else None,
    }


def _intel_row(document: Document, freshness: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": document.id,
        "source_id": document.source_id,
        "title": document.title,
        "owner": document.owner,
        "observed": document.meta.get("observed"),
        "source": document.meta.get("source"),
        "content_date": document.content_date.isoformat() if document.content_date else None,
        "freshness": freshness,
    }


def _against(bid: BidFacts, competitor: str, glossary: Glossary) -> bool:
    return _names_competitor(bid.competitors, competitor, glossary)


def _names_competitor(names: Iterable[Any], competitor: str, glossary: Glossary) -> bool:
    """Whether `competitor` (by any of its names) is among `names`."""
    key = group_key(competitor, "competitor", glossary)
    return any(
        key == group_key(n, "competitor", glossary) for n in _names(names, "competitor", glossary)
    )


def _same(name: str, other: str | None, group_by: str, glossary: Glossary) -> bool:
    return other is not None and group_key(name, group_by, glossary) == group_key(
        other, group_by, glossary
    )


def _names(values: Iterable[Any], group_by: str, glossary: Glossary) -> list[str]:
    """Distinct non-empty names (one per group), first spelling kept."""
    seen: dict[str, str] = {}
    for value in values:
        text = str(value).strip() if value is not None else ""
        if text:
            seen.setdefault(group_key(text, group_by, glossary), text)
    return list(seen.values())


def _quarter(day: str) -> str:
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


def _top(counts: Counter[str]) -> list[dict[str, Any]]:
    return [{"reason": r, "count": n} for r, n in counts.most_common(TOP_REASONS)]
