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
from tests.conftest import CONTENT

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


def save_sample_glossary(session: Session) -> None:
    """The sample's glossaries of competitors, industries and products, as their documents."""
    for name in ("competitors", "industries", "products"):
        body = (CONTENT / "glossary" / f"{name}.md").read_text(encoding="utf-8").split("---", 2)[2]
        fields = {"id": f"glossary-{name}", "kind": "glossary", "owner": "wang.fang"}
        draft = build_draft(fields, body, origin=name, default_id=name, default_title=name)
        save_draft(session, draft, [], author="wang.fang", now=datetime(2026, 6, 1))


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
        save_sample_glossary(session)
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


def test_grouped_by_competitor_names_in_either_language_are_one(bids: Engine) -> None:
    """华为云, Huawei Cloud and huawei-cloud are one group (the glossary's), shown under the
    canonical name; a name the glossary does not know keeps its own group."""
    reader = Viewer("li.na", "reader")
    with Session(bids) as session:
        rows = {r["competitor"]: r for r in win_loss(session, group_by="competitor", viewer=reader)}
    assert set(rows) == {"Huawei Cloud", "FanRuan"}
    huawei = rows["Huawei Cloud"]
    assert huawei["names"] == ["Huawei Cloud", "huawei-cloud", "华为云"]
    assert (huawei["won"], huawei["lost"], huawei["withdrawn"], huawei["pending"]) == (2, 1, 1, 0)
    assert (huawei["win_rate"], huawei["amount_won"], huawei["amount_lost"]) == (
        0.6667,
        130.0,
        50.0,
    )
    assert huawei["reasons_won"][0] == {"reason": "PoC 领先", "count": 2}
    assert huawei["reasons_lost"] == [{"reason": "价格高", "count": 1}]  # the hidden bid is out
    assert (rows["FanRuan"]["names"], rows["FanRuan"]["lost"]) == (["帆软"], 1)
    assert rows["FanRuan"]["win_rate"] == 0.0


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


def test_industry_and_product_names_in_either_language_are_one(bids: Engine) -> None:
    with transaction(bids) as session:
        row = ("B-6", "lost", 20.0, "2026-05-10", "banking", ["HWC"], ["X200"], ["价格高"], "li.na")
        save_bid(session, row)
    with Session(bids) as session:
        industries = win_loss(session, group_by="industry")
        products = win_loss(session, group_by="product")
        banks = win_loss(session, group_by="product", competitor="华为", industry="Finance")
    assert [(r["industry"], r["bids"], r["names"]) for r in industries] == [
        ("Finance", 5, ["banking", "金融"]),
        ("Manufacturing", 1, ["制造"]),
    ]
    assert [(r["product"], r["bids"], r["names"]) for r in products] == [
        ("X-200", 4, ["X-200", "X200"]),
        ("DataHub", 1, ["DataHub"]),
    ]
    assert {r["product"]: (r["won"], r["lost"], r["withdrawn"]) for r in banks} == {
        "X-200": (1, 1, 1),
        "DataHub": (0, 1, 0),
    }


@pytest.mark.parametrize("name", ["HUAWEI cloud", "华为云", "HWC"])
def test_competitor_page_answers_to_any_name(bids: Engine, name: str) -> None:
    with Session(bids) as session:
        page = competitor_page(
            session, name, now=datetime(2026, 6, 2), viewer=Viewer("li.na", "reader")
        )
    assert page["competitor"] == "Huawei Cloud"
    assert [i["source_id"] for i in page["intel"]] == ["ci-new", "ci-old"]
    assert page["intel"][1]["freshness"]["status"] == "stale"
    assert [b["bid"] for b in page["bids"]] == ["B-4", "B-3", "B-2", "B-1"]
    assert (page["won"], page["lost"], page["withdrawn"], page["win_rate"]) == (2, 1, 1, 0.6667)
