"""Win/loss analytics and competitor pages over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.context import Context
from kb.clock import utcnow
from tests.api_governance.conftest import Headers, error_of, write


def test_win_loss_by_owner_and_a_competitor_page(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    for ref, outcome, owner in (
        ("B-1", "won", "li.na"),
        ("B-2", "lost", "li.na"),
        ("B-3", "won", "wang.fang"),
    ):
        bid = {
            "bid": ref,
            "customer": "江南银行",
            "outcome": outcome,
            "competitors": ["帆软"],
            "amount": 10.0,
        }
        write(app_context, f"bid-{ref}", owner=owner, at=utcnow(), kind="bid_result", **bid)
    write(
        app_context,
        "ci-fanruan",
        owner="li.na",
        at=utcnow(),
        kind="competitor_intel",
        competitor="帆软",
        source="客户",
        observed="2026-11-01",
    )
    response = client.get("/analytics/win-loss?group_by=owner", headers=tokens["sun.hao"])
    assert response.status_code == 200
    rows = {
        r["owner"]: (r["won"], r["lost"], r["win_rate"], r["amount_won"])
        for r in response.json()["rows"]
    }
    assert rows == {"li.na": (1, 1, 0.5, 10.0), "wang.fang": (1, 0, 1.0, 10.0)}
    error_of(
        client.get("/analytics/win-loss?group_by=colour", headers=tokens["boss"]),
        422,
        "invalid_input",
    )
    page = client.get("/competitors/帆软", headers=tokens["sun.hao"]).json()
    assert [i["source_id"] for i in page["intel"]] == ["ci-fanruan"]
    assert page["intel"][0]["freshness"]["status"] == "fresh"
    assert (len(page["bids"]), page["win_rate"]) == (3, 0.6667)


def test_contributions_over_http_carry_the_marked_counts(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-gone", owner="li.na", at=utcnow())
    client.delete(f"/documents/{doc}", headers=tokens["boss"])
    [row] = client.get("/contributions", headers=tokens["boss"]).json()["rows"]
    assert (row["person"], row["documents_created"], row["documents_deleted"]) == ("li.na", 0, 1)
    assert row["versions_reverted"] == 0
