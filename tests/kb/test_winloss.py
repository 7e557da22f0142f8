"""Win/loss analytics over bid results, and a competitor's page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.access import Viewer
from kb.db import transaction
from kb.documents import build_draft
from kb.errors import InvalidInput
from kb.models import Person
from kb.reuse import record_outcome
from kb.store import save_draft
from kb.winloss import competitor_page, win_loss

BIDS = [  # bid, outcome, amount, decided, industry, competitors, products, reasons, owner
    (
        "B-1",
        "won",
        100.0,
        "2026-01-10",
        "金融",
        ["Huawei Cloud"],
        ["X-200"],
        ["PoC 领先", "本地服务"],
        "li.na",
    ),
    (
        "B-2",
        "lost",
        50.0,
        "2026-02-20",
        "金融",
        ["Huawei Cloud", "帆软"],
        ["DataHub"],
        ["价格高"],
        "li.na",
    ),
    (
        "B-3",
        "won",
        30.0,
        "2026-04-02",
        "制造",
        ["huawei-cloud"],
        ["X-200"],
        ["PoC 领先"],
        "wang.fang",
    ),
    ("B-4", "pending", 10.0, "2026-05-01", "金融", ["华为云"], ["X-200"], [], "wang.fang"),
]


def save_bid(session: Session, row: tuple[Any, ...], **extra: Any) -> None:
    bid, outcome, amount, decided, industry, competitors, products, reasons, owner = row
    fields = {
        "id": f"bid-{bid}",
        "kind": "bid_result",
        "bid": bid,
        "customer": f"customer of {bid}",
        "outcome": outcome,
        "amount": amount,
        "decision_date": decided,
        "industry": industry,
        "competitors": competitors,
        "products": products,
        "reasons": reasons,
        "owner": owner,
        **extra,
    }
    draft = build_draft(fields, f"{bid} review.", origin=bid, default_id=bid, default_title=bid)
    save_draft(session, draft, [], author=owner, now=datetime(2026, 6, 1))


@pytest.fixture
def bids(engine: Engine) -> Engine:
    with transaction(engine) as session:
        session.add(Person(name="li.na", role="contributor"))
        for row in BIDS:
            save_bid(session, row)
        save_bid(
            session,
            ("B-5", "lost", 999.0, "2026-05-05", "金融", ["Huawei Cloud"], [], ["secret"], "boss"),
            confidentiality="confidential",
        )
        intel = {
            "id": "ci-1",
            "kind": "competitor_intel",
            "competitor": "Huawei Cloud",
            "source": "客户",
            "observed": "2026-03-01",
            "owner": "li.na",
        }
        for source_id, observed in (("ci-old", "2025-01-01"), ("ci-new", "2026-03-01")):
            draft = build_draft(
                {**intel, "id": source_id, "observed": observed},
                "Intel.",
                origin=source_id,
                default_id=source_id,
                default_title=source_id,
            )
            save_draft(session, draft, [], author="li.na", now=datetime(2026, 6, 1))
        record_outcome(session, "B-4", "withdrawn")  # a recorded outcome wins
    return engine


def test_grouped_by_competitor_names_written_differently_are_one(bids: Engine) -> None:
    """Case, spaces and hyphens do not split a group; names in two languages stay two groups
    until the team glossary (issue 14) gives them one canonical name."""
    reader = Viewer("li.na", "reader")
    with Session(bids) as session:
        rows = {r["competitor"]: r for r in win_loss(session, group_by="competitor", viewer=reader)}
    huawei = rows["Huawei Cloud"]
    assert huawei["names"] == ["Huawei Cloud", "huawei-cloud"]
    assert (huawei["won"], huawei["lost"], huawei["withdrawn"], huawei["pending"]) == (2, 1, 0, 0)
    assert (huawei["win_rate"], huawei["amount_won"], huawei["amount_lost"]) == (
        0.6667,
        130.0,
        50.0,
    )
    assert huawei["reasons_won"][0] == {"reason": "PoC 领先", "count": 2}
    assert huawei["reasons_lost"] == [{"reason": "价格高", "count": 1}]  # the hidden bid is out
    assert rows["帆软"]["lost"] == 1 and rows["帆软"]["win_rate"] == 0.0
    assert (rows["华为云"]["withdrawn"], rows["华为云"]["win_rate"]) == (1, None)


def test_other_groupings_and_filters(bids: Engine) -> None:
    with Session(bids) as session:
        quarters = {r["quarter"]: r["bids"] for r in win_loss(session, group_by="quarter")}
        banks = win_loss(session, group_by="product", competitor="huawei cloud", industry="金融")
        owners = {r["owner"]: r["won"] for r in win_loss(session, group_by="owner")}
        with pytest.raises(InvalidInput, match="group_by"):
            win_loss(session, group_by="colour")
    assert quarters == {"2026-Q1": 2, "2026-Q2": 3}
    assert {r["product"]: (r["won"], r["lost"]) for r in banks} == {
        "X-200": (1, 0),
        "DataHub": (0, 1),
    }
    assert owners == {"li.na": 1, "wang.fang": 1, "boss": 0}


def test_competitor_page(bids: Engine) -> None:
    with Session(bids) as session:
        page = competitor_page(
            session, "HUAWEI cloud", now=datetime(2026, 6, 2), viewer=Viewer("li.na", "reader")
        )
    assert [i["source_id"] for i in page["intel"]] == ["ci-new", "ci-old"]
    assert page["intel"][1]["freshness"]["status"] == "stale"
    assert [b["bid"] for b in page["bids"]] == ["B-3", "B-2", "B-1"]
    assert (page["won"], page["lost"], page["win_rate"]) == (2, 1, 0.6667)
