"""Requests a hostile or careless client sends: each gets a clear 4xx or a normal answer,
never a 500, on SQLite and PostgreSQL; and what they must not reveal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Headers, assert_error, create, proposal_and_result

DbClient = tuple[TestClient, dict[str, Headers]]
BIG = 2**31  # one past the largest id or version number the databases store


def test_extreme_dates_do_not_break_audits_suggestions_or_review(db_client: DbClient) -> None:
    client, people = db_client
    manager, owner = people["wang.min"], people["li.na"]
    for day in ("9999-12-31", "0001-01-01"):
        create(
            client,
            owner,
            id=f"qa/dated-{day}",
            kind="qa",
            title=f"Dated {day}",
            question="How long do X-200 snapshots last?",
            text="X-200 snapshots last 90 days.",
            updated=day,
        )
    for as_of in ("", "?as_of=9999-12-31", "?as_of=0001-01-01"):
        audit = client.get(f"/audit/freshness{as_of}", headers=manager)
        assert audit.status_code == 200, audit.text
        assert len(audit.json()["documents"]) == 2
        candidates = client.get(f"/audit/archive-candidates{as_of}", headers=manager)
        assert candidates.status_code == 200, candidates.text
    found = client.post("/suggestions", json={"text": "X-200 snapshots"}, headers=owner)
    assert found.status_code == 200, found.text
    for day in ("9999-12-31", "0001-01-01"):
        review = client.post(f"/documents/qa/dated-{day}/review", headers=owner)
        assert review.status_code == 200, review.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/documents/bad%00id", None),
        ("get", "/documents/bad%00id/versions", None),
        ("get", "/documents?q=x%00y", None),
        ("get", "/documents?owner=x%00", None),
        ("get", "/contributions?group_by=person%00", None),
        ("post", "/search", {"query": "X-200\u0000"}),
        ("post", "/search", {"query": "X-200", "filters": {"owner": "li\u0000na"}}),
        ("post", "/suggestions", {"text": "X-200", "customer": "a\u0000"}),
        ("post", "/documents", {"id": "a\u0000b", "kind": "qa", "title": "T", "text": "x"}),
        ("post", "/documents", {"kind": "qa", "title": "T", "text": "x", "change_note": "\u0000"}),
        ("post", "/users", {"name": "evil\u0000", "role": "reader"}),
        ("post", "/reuse", {"document_id": "a\u0000", "proposal_ref": "P-1"}),
        ("post", "/documents/qa%00x/review", {"note": "ok"}),
        ("get", f"/documents/qa/x/versions/{BIG}", None),
        ("get", f"/documents/qa/x/versions/{2**70}", None),
        ("get", f"/documents/qa/x/diff?from=1&to={BIG}", None),
        ("get", f"/documents/{BIG}", None),
        ("post", "/reuse", {"chunk_id": BIG, "proposal_ref": "P-1"}),
        ("post", "/reuse", {"document_id": BIG, "proposal_ref": "P-1"}),
        ("post", "/reuse", {"document_id": "qa/x", "version": BIG, "proposal_ref": "P-1"}),
        ("put", "/documents/qa/x", {"base_version": BIG, "text": "y"}),
    ],
)
def test_nul_characters_and_huge_numbers_are_a_clear_4xx(
    db_client: DbClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    client, people = db_client
    create(client, people["li.na"], id="qa/x", kind="qa", title="X", question="Q?", text="A.")
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    response = client.request(method, path, headers=people["wang.min"], **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, response.status_code)
    if "%00" in path or (body and "\u0000" in str(body)):
        assert "NUL" in response.json()["error"]["message"]


def test_a_confidential_bid_results_outcome_does_not_leak(db_client: DbClient) -> None:
    """A manager's confidential bid_result says BID-9 was lost; a reader must not learn it
    through the internal proposal of that bid (outcome filter, suggestions) or through
    contribution counts."""
    client, people = db_client
    reader, service = people["chen.jie"], people["proposal-tool"]
    proposal, _ = proposal_and_result(
        client,
        people,
        "BID-9",
        customer="南方银行",
        outcome="won",
        confidentiality="confidential",
        text="Won on price; the floor was 4.2M.",
    )
    for outcome in ("won", "lost"):
        hits = client.post(
            "/search", json={"query": "灾备", "filters": {"outcome": outcome}}, headers=reader
        ).json()["results"]
        assert hits == [], hits
    found = client.post(
        "/suggestions", json={"text": "X-200 active-active disaster recovery"}, headers=reader
    ).json()["suggestions"]
    assert [s["document_id"] for s in found] == [proposal["id"]]
    assert found[0]["bid_outcome"] is None
    assert found[0]["reuse"]["won"] == 0
    rows = client.get("/contributions", headers=reader).json()["rows"]
    assert sum(r["reused_in_won_bids"] for r in rows) == 0
    # Recorded over the API (the proposal tool's report), the outcome is shared.
    client.post("/bids/BID-9/outcome", json={"outcome": "won"}, headers=service)
    hits = client.post(
        "/search", json={"query": "灾备", "filters": {"outcome": "won"}}, headers=reader
    ).json()["results"]
    assert [h["document_id"] for h in hits] == [proposal["id"]]
