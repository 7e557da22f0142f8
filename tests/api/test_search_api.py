"""POST /search over HTTP: contributions are searchable when the response returns."""

from __future__ import annotations

from dataclasses import fields

from fastapi.testclient import TestClient

from search.service import SearchHit
from tests.api.conftest import Headers, assert_error, create


def search(client: TestClient, headers: Headers, **body: object) -> list[dict]:
    response = client.post("/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    results: list[dict] = response.json()["results"]
    return results


def test_a_contribution_is_searchable_at_once(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(
        client,
        people["li.na"],
        title="X-200 immutable snapshots",
        text="X-200 keeps immutable snapshots against ransomware for 90 days.",
        products=["X-200"],
    )
    [hit] = search(client, people["zhao.lei"], query="ransomware snapshots")
    assert set(hit) == {f.name for f in fields(SearchHit)}
    assert (hit["document_id"], hit["version"], hit["owner"]) == (saved["id"], 1, "li.na")
    assert hit["source_id"] == saved["source_id"] and hit["kind"] == "product_note"


def test_an_update_replaces_what_is_found(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], title="Retention", text="Snapshots kept 30 days.")
    response = client.put(
        f"/documents/{saved['id']}",
        headers=people["li.na"],
        json={"base_version": 1, "text": "Snapshots kept on tape vaults."},
    )
    assert response.status_code == 200
    [hit] = search(client, people["li.na"], query="tape vaults", mode="keyword")
    assert hit["version"] == 2
    assert search(client, people["li.na"], query="30 days", mode="keyword") == []


def test_filters_modes_and_chinese(client: TestClient, people: dict[str, Headers]) -> None:
    create(
        client,
        people["li.na"],
        title="国产化适配说明",
        text="X-200 已完成麒麟操作系统适配。",
        products=["X-200"],
        industry="金融",
    )
    create(
        client,
        people["li.na"],
        title="DataHub overview",
        text="DataHub runs on Kylin OS.",
        products=["DataHub"],
    )
    # The exact match first; the English note through query translation (麒麟 -> Kylin).
    hit, translated = search(client, people["chen.jie"], query="麒麟 适配")
    assert hit["title"] == "国产化适配说明" and hit["language"] == "zh"
    assert translated["title"] == "DataHub overview" and translated["score"] < hit["score"]
    assert len(search(client, people["chen.jie"], query="Kylin", mode="semantic", top_k=5)) >= 1
    filtered = search(
        client, people["chen.jie"], query="Kylin 麒麟", filters={"product": "DataHub"}
    )
    assert [h["title"] for h in filtered] == ["DataHub overview"]
    by_industry = search(
        client, people["chen.jie"], query="Kylin 麒麟", filters={"industry": ["金融"]}
    )
    assert [h["title"] for h in by_industry] == ["国产化适配说明"]


def test_bad_search_requests_are_422(client: TestClient, people: dict[str, Headers]) -> None:
    headers = people["chen.jie"]
    cases = [
        ({"query": ""}, "query"),
        ({"query": "x", "mode": "fuzzy"}, "mode"),
        ({"query": "x", "top_k": 0}, "top_k"),
        ({"query": "x", "top_k": "many"}, "top_k"),
        ({"query": "x", "filters": {"colour": "red"}}, "colour"),
        ({"query": "x", "limit": 3}, "limit"),
        ({"query": "x" * 2001}, "query"),
    ]
    for body, named in cases:
        response = client.post("/search", json=body, headers=headers)
        assert named in assert_error(response, 422, "invalid_input")["message"], body


def test_history_searches_reuse_one_keyword_index_until_history_changes(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """`history: true` ranks past chunks with a BM25 index built once per set of past chunks,
    not per query; a new past version makes a new one, which finds it."""
    from search import history

    headers = people["li.na"]
    doc = create(client, headers, title="Snapshot policy", text="X-200 keeps snapshots 30 days.")
    revise = {"base_version": 1, "text": "X-200 keeps snapshots 90 days."}
    assert client.put(f"/documents/{doc['id']}", json=revise, headers=headers).status_code == 200
    history._past_indexes.clear()

    def past_hits(query: str) -> list[tuple[int, int]]:
        body = {"query": query, "history": True, "mode": "keyword"}
        hits = client.post("/search", json=body, headers=headers).json()["results"]
        return [(h["document_id"], h["version"]) for h in hits if not h["current"]]

    assert past_hits("snapshots 30 days") == [(doc["id"], 1)]
    built = list(history._past_indexes.values())
    assert past_hits("X-200 snapshots") == [(doc["id"], 1)]
    assert list(history._past_indexes.values()) == built
    again = {"base_version": 2, "text": "X-200 keeps snapshots 120 days."}
    assert client.put(f"/documents/{doc['id']}", json=again, headers=headers).status_code == 200
    assert sorted(past_hits("X-200 snapshots")) == [(doc["id"], 1), (doc["id"], 2)]
