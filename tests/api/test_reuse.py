"""POST /reuse and POST /bids/{ref}/outcome, and the statistics that follow from them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from kb.models import Event
from kb.reuse import reuse_stats
from tests.api.conftest import Headers, assert_error, context_of, create, row_counts

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
        response = client.post(f"/bids/{bid}/outcome", json={"outcome": outcome}, headers=service)
        assert response.status_code == 200
        assert response.json()["outcome"] == outcome
    with Session(context_of(client).engine) as session:
        stats = reuse_stats(session, [saved["id"]])[saved["id"]]
        outcome_events = session.exec(select(Event).where(Event.action == "outcome")).all()
    assert stats.as_dict() == {"reuse_count": 3, "won": 2, "lost": 0, "win_rate": 1.0}
    assert [e.detail["previous"] for e in outcome_events] == [None, None, "lost"]
