"""POST /reuse and POST /bids/{ref}/outcome, and the statistics that follow from them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.models import Event
from kb.reuse import reuse_stats
from tests.api.conftest import (
    Headers,
    assert_error,
    context_of,
    create,
    proposal_and_result,
    row_counts,
)

TEXT = "## Solution\n\nTwo X-200 appliances replicate snapshots between the data centres."


def first_chunk(client: TestClient, headers: Headers, query: str) -> dict[str, Any]:
    results = client.post("/search", json={"query": query}, headers=headers).json()["results"]
    hit: dict[str, Any] = results[0]
    return hit


def test_reuse_of_a_chunk_is_recorded_with_an_event(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(client, people["li.na"], title="DR design", text=TEXT)
    service = people["proposal-tool"]
    hit = first_chunk(client, service, "replicate snapshots")
    response = client.post(
        "/reuse",
        headers=service,
        json={
            "chunk_id": hit["chunk_id"],
            "proposal_ref": "PROP-2025-031",
            "bid_ref": "BID-2025-031",
            "user": "li.na",
        },
    )
    assert response.status_code == 201, response.text
    reuse = response.json()
    assert (reuse["document_id"], reuse["version"], reuse["chunk_id"]) == (
        saved["id"],
        1,
        hit["chunk_id"],
    )
    assert (reuse["user"], reuse["recorded_by"]) == ("li.na", "proposal-tool")
    with Session(context_of(client).engine) as session:
        event = session.exec(select(Event).where(Event.action == "reuse")).one()
    assert (event.document_id, event.version, event.actor) == (saved["id"], 1, "proposal-tool")
    assert event.detail == {
        "proposal_ref": "PROP-2025-031",
        "bid_ref": "BID-2025-031",
        "chunk_id": hit["chunk_id"],
        "user": "li.na",
    }


def test_reuse_of_an_old_chunk_keeps_its_version(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(client, people["li.na"], title="DR design", text=TEXT)
    hit = first_chunk(client, people["li.na"], "replicate snapshots")
    client.put(
        f"/documents/{saved['id']}",
        headers=people["li.na"],
        json={"base_version": 1, "text": TEXT + " Failover takes minutes."},
    )
    response = client.post(
        "/reuse",
        headers=people["wang.min"],
        json={"chunk_id": hit["chunk_id"], "proposal_ref": "P-9"},
    )
    assert response.status_code == 201 and response.json()["version"] == 1
    by_document = client.post(
        "/reuse",
        headers=people["wang.min"],
        json={"document_id": saved["source_id"], "proposal_ref": "P-9"},
    )
    assert by_document.status_code == 201 and by_document.json()["version"] == 2


def test_bad_reuse_requests_write_nothing(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], title="DR design", text=TEXT)
    other = create(client, people["li.na"], title="Other", text="Something else entirely.")
    hit = first_chunk(client, people["li.na"], "replicate snapshots")
    service = people["proposal-tool"]
    before = row_counts(client)
    cases: list[tuple[dict[str, Any], int]] = [
        ({"chunk_id": 999_999, "proposal_ref": "P-1"}, 404),
        ({"document_id": 999_999, "proposal_ref": "P-1"}, 404),
        ({"document_id": "no/such-doc", "proposal_ref": "P-1"}, 404),
        ({"document_id": saved["id"], "version": 5, "proposal_ref": "P-1"}, 404),
        ({"chunk_id": hit["chunk_id"], "document_id": other["id"], "proposal_ref": "P-1"}, 422),
        ({"chunk_id": hit["chunk_id"], "version": 2, "proposal_ref": "P-1"}, 422),
        ({"proposal_ref": "P-1"}, 422),
        ({"chunk_id": hit["chunk_id"]}, 422),
        ({"chunk_id": hit["chunk_id"], "proposal_ref": "P-1", "extra": 1}, 422),
    ]
    for body, status in cases:
        assert_error(client.post("/reuse", json=body, headers=service), status)
    assert_error(
        client.post("/bids/BID-1/outcome", json={"outcome": "maybe"}, headers=service), 422
    )
    unknown = client.post("/bids/BID-9999/outcome", json={"outcome": "won"}, headers=service)
    assert "no bid 'BID-9999'" in assert_error(unknown, 404, "not_found")["message"]
    assert row_counts(client) == before


def test_outcomes_drive_win_rates(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], title="DR design", text=TEXT)
    service = people["proposal-tool"]
    for proposal, bid in (("P-1", "BID-1"), ("P-2", "BID-2"), ("P-3", "BID-3")):
        client.post(
            "/reuse",
            headers=service,
            json={"document_id": saved["id"], "proposal_ref": proposal, "bid_ref": bid},
        )
    for bid, outcome in (("BID-1", "won"), ("BID-2", "lost"), ("BID-2", "won")):
        body = {"outcome": outcome, "customer": "北方银行"}
        response = client.post(f"/bids/{bid}/outcome", json=body, headers=service)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == outcome
    with Session(context_of(client).engine) as session:
        stats = reuse_stats(session, [saved["id"]])[saved["id"]]
        outcome_events = session.exec(select(Event).where(Event.action == "outcome")).all()
    assert stats.as_dict() == {"reuse_count": 3, "won": 2, "lost": 0, "win_rate": 1.0}
    assert [e.detail["previous"] for e in outcome_events] == [None, None, "lost"]


def test_the_same_reuse_reported_twice_is_one_record_and_reads_back(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(client, people["li.na"], title="DR design", text=TEXT)
    service = people["proposal-tool"]
    hit = first_chunk(client, service, "replicate snapshots")
    body = {"chunk_id": hit["chunk_id"], "proposal_ref": "P-1", "bid_ref": "BID-7", "user": "li.na"}
    first = client.post("/reuse", json=body, headers=service).json()
    before = row_counts(client)
    again = client.post("/reuse", json=body, headers=service)
    assert again.status_code == 201 and again.json() == first
    assert row_counts(client) == before
    other = client.post("/reuse", json={**body, "user": "zhang.wei"}, headers=service).json()
    ghost = client.post("/reuse", json={**body, "user": "ghost"}, headers=service)
    assert "'ghost' is not a kb user" in assert_error(ghost, 422)["message"]
    found = client.get("/reuse?bid_ref=BID-7", headers=people["zhao.lei"]).json()["reuse"]
    assert [r["id"] for r in found] == [first["id"], other["id"]]
    by_document = client.get(f"/reuse?document={saved['source_id']}", headers=service).json()
    assert [r["id"] for r in by_document["reuse"]] == [first["id"], other["id"]]
    assert client.get("/reuse?bid_ref=BID-8", headers=service).json() == {"reuse": []}
    assert_error(client.get("/reuse", headers=service), 422)
    before = row_counts(client)
    nameless = client.post("/bids/BID-7/outcome", json={"outcome": "won"}, headers=service)
    assert "needs the customer" in assert_error(nameless, 422)["message"]
    assert row_counts(client) == before


def test_an_outcome_writes_the_bid_result_document_search_finds(
    client: TestClient, people: dict[str, Headers]
) -> None:
    proposal = create(
        client,
        people["li.na"],
        title="DR proposal",
        kind="proposal",
        customer="北方银行",
        industry="金融",
        bid="BID-9",
        text=TEXT,
    )
    service = people["proposal-tool"]
    body = {
        "outcome": "lost",
        "reasons": ["price 20% above the winner"],
        "competitors": ["华为云"],
        "amount": 1280000,
        "decision_date": "2026-11-20",
    }
    response = client.post("/bids/BID-9/outcome", json=body, headers=service)
    assert response.status_code == 200, response.text
    written = response.json()
    assert written["version"] == 1 and written["document_id"] != proposal["id"]
    bid = client.get("/bids/BID-9", headers=people["zhao.lei"]).json()
    assert bid["outcome"] == "lost" and bid["document"]["id"] == written["document_id"]
    assert bid["fields"]["reasons"] == ["price 20% above the winner"]
    assert bid["fields"]["customer"] == "北方银行" and bid["fields"]["amount"] == 1280000
    assert [p["id"] for p in bid["proposals"]] == [proposal["id"]]
    search = {"query": "DR", "filters": {"outcome": "lost", "kind": "bid_result"}}
    hits = client.post("/search", json=search, headers=service).json()["results"]
    assert [h["document_id"] for h in hits] == [written["document_id"]]
    again = client.post("/bids/BID-9/outcome", json={"outcome": "won"}, headers=service).json()
    assert (again["document_id"], again["version"]) == (written["document_id"], 2)
    bid = client.get("/bids/BID-9", headers=service).json()
    assert bid["outcome"] == "won" and bid["fields"]["reasons"] == body["reasons"]
    assert_error(client.get("/bids/BID-404", headers=service), 404)


def test_a_recorded_outcome_wins_over_the_bid_result_document_everywhere(
    db_client: tuple[TestClient, dict[str, Headers]],
) -> None:
    """The bid_result document says lost, the recorded outcome says won: the outcome filter
    (on the bid_result and on its proposal), suggestions, reuse statistics, contributions,
    win/loss and the bid's record all say won."""
    client, people = db_client
    manager, service = people["wang.min"], people["proposal-tool"]
    proposal, result = proposal_and_result(
        client,
        people,
        "BID-5",
        customer="南方银行",
        industry="金融",
        outcome="won",
        text="Won against 华为云 on the active-active disaster recovery design.",
    )
    assert client.post("/bids/BID-5/outcome", json={"outcome": "won"}, headers=service).is_success
    # Someone edits the document back to "lost"; the recorded outcome still stands.
    edit = {"base_version": 1, "outcome": "lost"}
    edited = client.put(f"/documents/{result['id']}", json=edit, headers=manager)
    assert edited.status_code == 200, edited.text
    reader = people["chen.jie"]
    for outcome, expected in (("won", {proposal["id"], result["id"]}), ("lost", set())):
        search = {"query": "disaster recovery", "filters": {"outcome": outcome}}
        hits = client.post("/search", json=search, headers=reader).json()["results"]
        assert {h["document_id"] for h in hits} == expected, (outcome, hits)
    found = client.post(
        "/suggestions", json={"text": "X-200 active-active disaster recovery"}, headers=reader
    ).json()["suggestions"]
    assert [(s["document_id"], s["bid_outcome"]) for s in found] == [(proposal["id"], "won")]
    assert found[0]["reuse"]["won"] == 1
    rows = client.get("/contributions", headers=reader).json()["rows"]
    assert sum(r["reused_in_won_bids"] for r in rows) == 1
    win_loss = client.get("/analytics/win-loss?group_by=industry", headers=reader).json()
    assert [(r["industry"], r["won"], r["lost"]) for r in win_loss["rows"]] == [("金融", 1, 0)]
    assert client.get("/bids/BID-5", headers=reader).json()["outcome"] == "won"
