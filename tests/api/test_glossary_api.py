"""One name for one thing over HTTP: the glossary as documents, metadata matched by any alias."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.api.conftest import Headers, add_people, assert_error, context_of, create, row_counts

GLOSSARY = """# Glossary

| name | type | zh | en | variants | note |
|---|---|---|---|---|---|
| Huawei Cloud | competitor | 华为云; 华为 | Huawei | HWC | |
| Energy | industry | 能源; 电力 | energy; power | utilities | |
| 等保 | regulation | 等保; 等级保护 | MLPS; Classified Protection | GB/T 22239 | |
| 容量规划 | term | 容量规划; 容量估算 | sizing; capacity planning | sizing guide | |
"""


def _sample(client: TestClient, people: Headers) -> dict[str, object]:
    manager = people["wang.min"]
    glossary = create(
        client, manager, title="Glossary", kind="glossary", text=GLOSSARY, id="glossary-main"
    )
    create(client, manager, title="Grid SOC", text="SOC for the grid.", industry="energy")
    create(client, manager, title="电厂采集", text="电厂数据采集方案。", industry="能源")
    create(client, manager, title="Bank", text="Core banking feeds.", industry="金融")
    create(
        client,
        manager,
        title="华为云降价",
        kind="competitor_intel",
        text="华为云报价下调约三成。",
        competitor="华为云",
        source="客户访谈",
        observed="2026-08-28",
    )
    return glossary


def test_metadata_is_matched_by_any_alias_and_shown_by_its_canonical_name(
    client: TestClient, people: dict[str, Headers]
) -> None:
    _sample(client, people)
    reader = people["zhao.lei"]
    for alias in ("能源", "Energy", "power"):
        listed = client.get("/documents", params={"industry": alias}, headers=reader).json()
        assert sorted(d["title"] for d in listed["items"]) == ["Grid SOC", "电厂采集"]
        assert {d["metadata"]["industry"] for d in listed["items"]} == {"Energy"}
    found = client.post(
        "/search", json={"query": "华为云", "filters": {"competitor": "Huawei"}}, headers=reader
    ).json()["results"]
    assert [hit["title"] for hit in found] == ["华为云降价"]
    assert found[0]["metadata"]["competitor"] == "Huawei Cloud"


def test_the_glossary_is_listed_and_edited_like_a_document(
    client: TestClient, people: dict[str, Headers]
) -> None:
    glossary = _sample(client, people)
    reader, manager = people["zhao.lei"], people["wang.min"]
    entries = client.get("/glossary", params={"q": "MLPS"}, headers=reader).json()["entries"]
    assert [e["name"] for e in entries] == ["等保"] and entries[0]["document"] == "glossary-main"
    assert client.get("/glossary", params={"type": "industry"}, headers=reader).json()["total"] == 1
    assert_error(client.get("/glossary", params={"type": "gadget"}, headers=reader), 422)
    before = row_counts(client)
    broken = GLOSSARY.replace("| Energy | industry |", "| Energy | sector |")
    body = {"text": broken, "base_version": glossary["version"]}
    error = assert_error(client.put("/documents/glossary-main", json=body, headers=manager), 422)
    assert "'Energy' has type 'sector'" in error["message"] and row_counts(client) == before
    renamed = GLOSSARY.replace("| Energy | industry |", "| Power & Utilities | industry |")
    body = {"text": renamed, "base_version": glossary["version"]}
    assert client.put("/documents/glossary-main", json=body, headers=manager).status_code == 200
    listed = client.get("/documents", params={"industry": "电力"}, headers=reader).json()
    assert {d["metadata"]["industry"] for d in listed["items"]} == {"Power & Utilities"}
    hits = client.post("/search", json={"query": "glossary"}, headers=reader).json()["results"]
    assert all(hit["kind"] != "glossary" for hit in hits)


def test_a_search_lists_the_translations_it_used_and_a_setting_turns_them_off(
    make_client: Callable[..., TestClient],
) -> None:
    for translate in (True, False):
        client = make_client(query_translation=translate)
        people = add_people(context_of(client))
        _sample(client, people)
        create(client, people["wang.min"], title="Plant SOC", text="Monitoring for power plants.")
        body = client.post("/search", json={"query": "电力"}, headers=people["zhao.lei"]).json()
        titles = [hit["title"] for hit in body["results"]]
        if translate:
            [expansion] = body["expansions"]
            assert expansion["term"] == "电力" and expansion["entry"] == "Energy"
            assert expansion["source"] == "glossary" and "power" in expansion["translations"]
            assert "Plant SOC" in titles
        else:
            assert body["expansions"] == [] and "Plant SOC" not in titles


def test_a_search_of_past_versions_is_translated_too(
    make_client: Callable[..., TestClient],
) -> None:
    for translate in (True, False):
        client = make_client(query_translation=translate)
        people = add_people(context_of(client))
        _sample(client, people)
        manager, reader = people["wang.min"], people["zhao.lei"]
        guide = create(
            client, manager, title="GuardEye guide", text="Sizing GuardEye for peak EPS."
        )
        body = {"text": "GuardEye ships as a virtual appliance.", "base_version": 1}
        response = client.put(f"/documents/{guide['source_id']}", json=body, headers=manager)
        assert response.status_code == 200
        for mode in ("hybrid", "keyword"):
            query = {"query": "容量规划", "history": True, "mode": mode}
            body = client.post("/search", json=query, headers=reader).json()
            found = [(hit["title"], hit["version"]) for hit in body["results"]]
            assert found == ([("GuardEye guide", 1)] if translate else []), (mode, found)
