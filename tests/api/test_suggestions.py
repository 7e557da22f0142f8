"""Reuse suggestions: the scoring function, and POST /suggestions over HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from kb.glossary import Glossary, parse_glossary
from search.suggest import Signals, suggestion_score
from search.suggestion_score import context_match, requested_context
from tests.api.conftest import Headers, create

SECTION = (
    "## 解决方案\n\nWe deploy two X-200 backup appliances in active-active mode across the "
    "primary and disaster recovery data centres, with immutable snapshots every hour and "
    "replication of every snapshot within fifteen minutes."
)
PROPOSAL = {"kind": "proposal", "industry": "金融", "products": ["X-200"]}
DRAFT = "backup appliances active-active across data centres with hourly immutable snapshots"


# -- the scoring function ---------------------------------------------------------------------
def test_fresh_won_beats_equally_similar_stale_lost() -> None:
    fresh_won = Signals(similarity=0.8, freshness=95, won=2)
    stale_lost = Signals(similarity=0.8, freshness=10, lost=2)
    assert suggestion_score(fresh_won) > suggestion_score(stale_lost)
    assert suggestion_score(Signals(0.8, 95)) > suggestion_score(Signals(0.8, 10))
    assert suggestion_score(Signals(0.8, 50, won=1)) > suggestion_score(Signals(0.8, 50, lost=1))
    assert suggestion_score(Signals(0.8, 50, reviewed=True)) > suggestion_score(Signals(0.8, 50))
    assert suggestion_score(Signals(0.8, 50, reuse_count=4)) > suggestion_score(Signals(0.8, 50))


def test_similarity_still_leads() -> None:
    best_content = Signals(similarity=0.4, freshness=100, reviewed=True, reuse_count=50, won=9)
    worst_content = Signals(similarity=0.9, freshness=0, lost=9)
    assert suggestion_score(worst_content) > suggestion_score(best_content)
    assert suggestion_score(Signals(0.0, 100, won=5)) == 0.0


def test_context_match_boosts() -> None:
    assert suggestion_score(Signals(0.7, 50, context=1.0)) > suggestion_score(Signals(0.7, 50))
    assert suggestion_score(Signals(0.7, 50, context=0.5)) < suggestion_score(
        Signals(0.7, 50, context=1.0)
    )


def test_context_matches_names_in_either_language() -> None:
    glossary = Glossary(
        parse_glossary(
            "| name | type | zh | en |\n|---|---|---|---|\n"
            "| Energy | industry | 能源; 电力 | energy; power |\n"
            "| Huawei Cloud | competitor | 华为云 | Huawei |\n",
            "g.md",
        )
    )
    meta = {"industry": "能源", "competitors": ["华为云"], "products": ["GuardEye"]}
    request = requested_context({"industry": "power", "competitor": "Huawei"})
    assert request == {"competitors": ["Huawei"], "industry": ["power"]}
    assert context_match(request, meta, glossary) == 1.0
    assert context_match(request, meta, Glossary()) == 0.0  # without the glossary: raw names
    partly = requested_context(
        {"industry": "energy", "products": ["guardeye", " "], "customer": "江南银行"}
    )
    assert context_match(partly, meta, glossary) == 2 / 3  # no customer in the meta
    assert context_match(requested_context({"customer": " ", "text": "SOC"}), meta, glossary) == 0


# -- over HTTP --------------------------------------------------------------------------------
def suggest(client: TestClient, headers: Headers, **body: Any) -> list[dict[str, Any]]:
    response = client.post("/suggestions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["suggestions"]
    return found


def test_fresh_won_section_outranks_equally_similar_stale_lost_one(
    client: TestClient, people: dict[str, Headers]
) -> None:
    stale = date.today() - timedelta(days=3 * 365)
    # Same title and text (only their metadata differs), so the match is exactly equal; the
    # stale, lost one is made first, so a tie would favour it.
    lost = create(
        client,
        people["li.na"],
        title="灾备方案",
        customer="南方银行",
        bid="BID-1",
        updated=stale.isoformat(),
        text=SECTION,
        **PROPOSAL,
    )
    won = create(
        client,
        people["li.na"],
        title="灾备方案",
        customer="北方银行",
        bid="BID-2",
        text=SECTION,
        **PROPOSAL,
    )
    service = people["proposal-tool"]
    for ref, outcome in (("BID-1", "lost"), ("BID-2", "won")):
        assert (
            client.post(
                f"/bids/{ref}/outcome", json={"outcome": outcome}, headers=service
            ).status_code
            == 200
        )
    found = suggest(client, service, text=DRAFT)
    assert [s["document_id"] for s in found[:2]] == [won["id"], lost["id"]]
    first, second = found[0], found[1]
    assert first["match"] == second["match"]
    assert (first["freshness"]["status"], second["freshness"]["status"]) == ("fresh", "stale")
    assert (first["bid_outcome"], second["bid_outcome"]) == ("won", "lost")
    assert first["section"] == "解决方案" and "active-active" in first["text"]
    assert (first["version"], first["owner"], first["kind"]) == (1, "li.na", "proposal")


def test_only_proposals_and_answers_are_suggested(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(client, people["li.na"], title="X-200 datasheet", text=SECTION)
    answer = create(
        client,
        people["li.na"],
        title="Active-active?",
        kind="qa",
        question="Does X-200 run active-active across data centres?",
        text=SECTION,
    )
    found = suggest(client, people["zhao.lei"], text=DRAFT)
    assert [s["document_id"] for s in found] == [answer["id"]]
    assert found[0]["question"] == "Does X-200 run active-active across data centres?"


def test_reuse_counts_and_win_rate_are_reported(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(
        client, people["li.na"], title="灾备方案", customer="南方银行", text=SECTION, **PROPOSAL
    )
    service = people["proposal-tool"]
    [before] = suggest(client, service, text=DRAFT)
    assert before["reuse"] == {"reuse_count": 0, "won": 0, "lost": 0, "win_rate": None}
    for proposal, bid in (("P-1", "BID-7"), ("P-2", "BID-8"), ("P-3", "BID-8")):
        response = client.post(
            "/reuse",
            headers=service,
            json={"chunk_id": before["chunk_id"], "proposal_ref": proposal, "bid_ref": bid},
        )
        assert response.status_code == 201, response.text
    for bid, outcome in (("BID-7", "won"), ("BID-8", "lost")):
        body = {"outcome": outcome, "customer": "东方银行"}
        assert client.post(f"/bids/{bid}/outcome", json=body, headers=service).is_success
    [after] = suggest(client, service, text=DRAFT)
    assert after["document_id"] == saved["id"]
    assert after["reuse"] == {"reuse_count": 3, "won": 1, "lost": 1, "win_rate": 0.5}


def test_context_prefers_the_same_customer(client: TestClient, people: dict[str, Headers]) -> None:
    other = create(
        client, people["li.na"], title="灾备方案", customer="南方银行", text=SECTION, **PROPOSAL
    )
    same = create(
        client, people["li.na"], title="灾备方案", customer="北方银行", text=SECTION, **PROPOSAL
    )
    found = suggest(client, people["zhao.lei"], text=DRAFT, customer="北方银行")
    assert [s["document_id"] for s in found] == [same["id"], other["id"]]
    found = suggest(client, people["zhao.lei"], text=DRAFT, customer="南方银行", section="解决方案")
    assert [s["document_id"] for s in found] == [other["id"], same["id"]]


def test_bad_suggestion_requests_are_422(client: TestClient, people: dict[str, Headers]) -> None:
    for body in (
        {"text": ""},
        {"text": "x", "top_k": 0},
        {"text": "x", "customers": "a"},
        {"text": "x", "products": "X-200"},
    ):
        response = client.post("/suggestions", json=body, headers=people["zhao.lei"])
        assert response.status_code == 422, body


def test_a_section_type_filters_in_either_language(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """Asking for 解决方案 finds an English "Solution" section and never the equally similar
    "Background" one; an unknown type is a 422 that lists the known ones."""
    english = SECTION.replace("## 解决方案", "## Solution")
    background = create(
        client,
        people["li.na"],
        title="DR",
        customer="A",
        text=english.replace("Solution", "Background"),
        **PROPOSAL,
    )
    solution = create(client, people["li.na"], title="DR", customer="B", text=english, **PROPOSAL)
    found = suggest(client, people["zhao.lei"], text=DRAFT, section="解决方案")
    assert [s["document_id"] for s in found] == [solution["id"]]
    assert found[0]["section_type"] == "solution"
    found = suggest(client, people["zhao.lei"], text=DRAFT, section="Background")
    assert [s["document_id"] for s in found] == [background["id"]]
    assert suggest(client, people["zhao.lei"], text=DRAFT, section="pricing") == []
    response = client.post(
        "/suggestions", json={"text": DRAFT, "section": "结束语"}, headers=people["zhao.lei"]
    )
    assert response.status_code == 422
    assert "solution" in response.json()["error"]["message"]


def test_search_filters_by_section_type(client: TestClient, people: dict[str, Headers]) -> None:
    english = SECTION.replace("## 解决方案", "## Solution")
    both = english + "\n\n## 报价\n\nbackup appliances at 400,000 per year"
    document = create(client, people["li.na"], title="DR", customer="B", text=both, **PROPOSAL)
    body = {"query": "backup appliances", "filters": {"section_type": "pricing"}}
    response = client.post("/search", json=body, headers=people["zhao.lei"])
    [hit] = response.json()["results"]
    assert hit["document_id"] == document["id"] and hit["section"].endswith("报价")
    body["filters"] = {"section_type": "nonsense"}
    response = client.post("/search", json=body, headers=people["zhao.lei"])
    assert response.status_code == 422 and "pricing" in response.json()["error"]["message"]


def test_no_more_than_two_sections_of_one_document(
    client: TestClient, people: dict[str, Headers]
) -> None:
    body = "\n\n".join(SECTION.replace("解决方案", f"方案 {n}") for n in range(4))
    big = create(client, people["li.na"], title="灾备方案合集", customer="A", text=body, **PROPOSAL)
    single = create(client, people["li.na"], title="灾备", customer="B", text=SECTION, **PROPOSAL)
    found = suggest(client, people["zhao.lei"], text=DRAFT, top_k=5)
    assert [s["document_id"] for s in found].count(big["id"]) == 2
    assert single["id"] in {s["document_id"] for s in found}


def test_match_strength_is_absolute_not_relative_to_the_best_candidate(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """A Chinese request (keyword side only, with the English model) that shares just one
    word with the best candidate gets a weak match, not 1.0 for being first."""
    create(
        client,
        people["li.na"],
        title="数据是否存储在中国境内？",
        kind="qa",
        question="数据是否存储在中国境内？",
        text="是。所有业务数据存储在客户指定的中国境内机房，不出境。",
    )
    [exact] = suggest(client, people["zhao.lei"], text="数据是否存储在中国境内", top_k=1)
    assert exact["match"] > 0.9
    body = {"text": "双活数据中心灾备切换演练方案", "top_k": 1}
    response = client.post("/suggestions", json=body, headers=people["zhao.lei"]).json()
    assert response["suggestions"] == []
    assert response["reason"].startswith("no good match: the closest candidate matches 0.")


def test_kinds_limit_suggestions_to_answers_or_sections(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(client, people["li.na"], title="DR", customer="B", text=SECTION, **PROPOSAL)
    answer = create(
        client,
        people["li.na"],
        title="Do you replicate backups across data centres?",
        kind="qa",
        question="Do you replicate backups across data centres?",
        text="Yes: active-active backup appliances replicate hourly immutable snapshots.",
    )
    found = suggest(client, people["zhao.lei"], text=DRAFT, kinds=["qa"])
    assert [s["document_id"] for s in found] == [answer["id"]]
    for body in ({"kinds": ["faq"]}, {"kinds": ["qa"], "section": "solution"}):
        response = client.post(
            "/suggestions", json={"text": DRAFT, **body}, headers=people["zhao.lei"]
        )
        assert response.status_code == 422, body
