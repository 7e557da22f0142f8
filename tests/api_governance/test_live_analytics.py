"""Win/loss, competitor pages and contributions over a real server, on the sample's bids,
intel and glossary: names written in either language count as one, shown by their canonical
name; a document deleted as a near-duplicate is counted apart."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.api.servers import LiveServer, live_server_over
from tests.conftest import CONTENT, make_context

ENGLISH_BID = """---
id: bid-2026-021-harbour-bank
kind: bid_result
title: BID-2026-021 Harbour Bank data integration, lost
language: en
owner: li.na
bid: BID-2026-021
customer: Harbour Bank
industry: banking
outcome: lost
amount: 1500000
decision_date: 2026-03-02
competitors: [Huawei Cloud]
products: [X200]
reasons: [price]
---
Huawei Cloud bundled DataArts with GaussDB below our price.
"""


@pytest.fixture
def sample(
    settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> Iterator[LiveServer]:
    """A server over the sample's bids, Huawei Cloud intel (one of it rewritten in English)
    and glossaries of competitors, industries and products, plus a bid written in English."""
    folder = tmp_path / "content"
    shutil.copytree(CONTENT / "bids", folder / "bids", ignore=shutil.ignore_patterns("*.csv"))
    (folder / "glossary").mkdir()
    for name in ("competitors", "industries", "products"):
        shutil.copy(CONTENT / "glossary" / f"{name}.md", folder / "glossary")
    (folder / "competitors").mkdir()
    for path in sorted((CONTENT / "competitors").glob("huawei*.md")):
        text = path.read_text(encoding="utf-8")
        if path.stem.endswith("-en"):
            text = text.replace("competitor: 华为云", "competitor: Huawei Cloud")
            text = text.replace("competitors: [华为云]", "competitors: [HWC]")
        (folder / "competitors" / path.name).write_text(text, encoding="utf-8")
    (folder / "bids" / "harbour-bank.md").write_text(ENGLISH_BID, encoding="utf-8")
    context = make_context(settings, embedder)
    report, _ = context.ingest([folder], author="kb-import")
    assert report.failed == [] and len(report.added) == 15
    with live_server_over(context) as server:
        yield server
    context.engine.dispose()


def rows(http: httpx.Client, headers: dict[str, str], group_by: str) -> dict[str, Any]:
    response = http.get(f"/analytics/win-loss?group_by={group_by}", headers=headers)
    assert response.status_code == 200, response.text
    return {row[group_by]: row for row in response.json()["rows"]}


def test_win_loss_and_competitor_pages_group_names_in_either_language(
    sample: LiveServer,
) -> None:
    reader = sample.people["zhao.lei"]
    with httpx.Client(base_url=sample.base, timeout=120) as http:
        competitors = rows(http, reader, "competitor")
        industries = rows(http, reader, "industry")
        products = rows(http, reader, "product")
        pages = [http.get(f"/competitors/{name}", headers=reader) for name in ("华为", "HWC")]
    assert "华为云" not in competitors and "阿里云" not in competitors
    huawei = competitors["Huawei Cloud"]
    assert huawei["names"] == ["Huawei Cloud", "华为云"]
    assert [huawei[o] for o in ("won", "lost", "withdrawn", "pending")] == [2, 2, 1, 0]
    assert huawei["win_rate"] == 0.5
    assert (competitors["Alibaba Cloud"]["names"], competitors["Alibaba Cloud"]["bids"]) == (
        ["阿里云"],
        3,
    )
    assert industries["Finance"]["names"] == ["banking", "金融"]
    assert (industries["Finance"]["won"], industries["Finance"]["lost"]) == (1, 1)
    assert products["X-200"]["names"] == ["X-200", "X200"] and products["X-200"]["bids"] == 6
    for page in pages:
        assert page.status_code == 200
        body = page.json()
        assert body["competitor"] == "Huawei Cloud"
        assert len(body["intel"]) == 3 and len(body["bids"]) == 5
        assert body["bids"][0]["bid"] == "BID-2026-021"  # newest decision first
        assert body["win_rate"] == 0.5
    assert pages[0].json() == pages[1].json()


def test_deleted_near_duplicates_and_reverted_changes_are_counted_apart(
    live: LiveServer,
) -> None:
    manager, author, other = (live.people[n] for n in ("wang.min", "li.na", "zhang.wei"))
    with httpx.Client(base_url=live.base, timeout=120) as http:
        made = []
        for title in ("SLA 答复", "SLA 答复（副本）", "写错的答复"):
            body = {"title": title, "kind": "qa", "question": "SLA?", "text": f"{title}。"}
            created = http.post("/documents", json=body, headers=author)
            assert created.status_code == 201, created.text
            made.append(created.json()["id"])
        kept, twin, wrong = made
        bad = http.delete(f"/documents/{twin}?duplicate_of=no-such-doc", headers=manager)
        assert bad.status_code == 422 and "no-such-doc" in bad.json()["error"]["message"]
        itself = http.delete(f"/documents/{twin}?duplicate_of={twin}", headers=manager)
        assert itself.status_code == 422
        assert http.get(f"/documents/{twin}", headers=author).status_code == 200  # untouched
        gone = http.delete(f"/documents/{twin}?duplicate_of={kept}", headers=manager)
        assert gone.status_code == 200 and gone.json()["status"] == "deleted"
        assert http.delete(f"/documents/{wrong}", headers=manager).json()["changed"]
        for number, text in ((1, "SLA 答复，改错了。"), (2, "SLA 答复。")):  # undone by li.na
            change = {"base_version": number, "text": text}
            who = other if number == 1 else author
            assert http.put(f"/documents/{kept}", json=change, headers=who).status_code == 200
        events = http.get(f"/documents/{twin}/versions", headers=manager).json()["events"]
        found = http.get("/contributions", headers=manager).json()["rows"]
    li, zhang = ({r["person"]: r for r in found}[n] for n in ("li.na", "zhang.wei"))
    assert [e["detail"].get("duplicate_of") for e in events if e["action"] == "delete"] == [kept]
    assert (li["documents_created"], li["documents_deleted"], li["duplicates_deleted"]) == (1, 1, 1)
    assert (li["versions_written"], li["versions_reverted"]) == (4, 0)
    assert (zhang["versions_written"], zhang["versions_reverted"]) == (0, 1)
