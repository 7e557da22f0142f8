"""POST /drafts: a .docx (read back with python-docx) or Markdown draft of chosen sections and
answers, in standard order, with its sources; every item recorded as reuse."""

from __future__ import annotations

import io
from typing import Any

from docx import Document as WordDocument
from fastapi.testclient import TestClient

from tests.api.conftest import Headers, assert_error, create, row_counts

PROPOSAL = (
    "# 北方银行灾备方案\n\n## 项目背景\n\n北方银行需要建设同城双活灾备中心。\n\n"
    "## 解决方案\n\n部署两台 X-200 备份一体机，双活复制，每小时不可变快照。\n\n"
    "## 项目优势\n\n我方在金融行业有二十个灾备案例。"
)


def refs(client: TestClient, headers: Headers, text: str, **body: Any) -> str:
    found = client.post("/suggestions", json={"text": text, **body}, headers=headers).json()
    ref: str = found["suggestions"][0]["ref"]
    return ref


def test_a_draft_has_sections_in_standard_order_sources_and_records_reuse(
    client: TestClient, people: dict[str, Headers]
) -> None:
    proposal = create(
        client,
        people["li.na"],
        title="北方银行灾备方案",
        kind="proposal",
        customer="北方银行",
        industry="金融",
        text=PROPOSAL,
    )
    tool = people["proposal-tool"]
    advantages = refs(client, tool, "金融行业灾备案例", section="项目优势")
    solution = refs(client, tool, "X-200 备份一体机 双活复制", section="solution")
    background = refs(client, tool, "同城双活灾备中心", section="背景")
    body = {
        "title": "南方银行灾备建设方案",
        "customer": "南方银行",
        "bid_ref": "BID-77",
        "items": [
            {"section_type": "项目优势", "ref": advantages},
            {"section_type": "solution", "ref": solution, "text": "部署两台 X-200（已改写）。"},
            {"section_type": "Background", "ref": background},
        ],
    }
    response = client.post("/drafts", json=body, headers=tool)
    assert response.status_code == 200, response.text
    word = WordDocument(io.BytesIO(response.content))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["项目背景", "解决方案", "项目优势", "来源"]
    texts = [p.text for p in word.paragraphs]
    assert "部署两台 X-200（已改写）。" in texts and "北方银行需要建设同城双活灾备中心。" in texts
    sources = texts[texts.index("来源") + 1 :]
    assert len(sources) == 3 and all(proposal["source_id"] in s for s in sources)
    assert all("版本 1" in s and "负责人 li.na" in s for s in sources)
    reuse = client.get("/reuse?bid_ref=BID-77", headers=tool).json()["reuse"]
    assert [(r["proposal_ref"], r["user"]) for r in reuse] == [
        ("南方银行灾备建设方案", "proposal-tool")
    ] * 3
    before = row_counts(client)
    markdown = client.post("/drafts?format=md", json=body, headers=tool)
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.index("## 项目背景") < markdown.text.index("## 项目优势")
    assert row_counts(client) == before  # the same draft again records no new reuse


def test_bad_drafts_are_refused_and_write_nothing(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(
        client,
        people["li.na"],
        title="北方银行灾备方案",
        kind="proposal",
        customer="北方银行",
        industry="金融",
        text=PROPOSAL,
    )
    tool = people["proposal-tool"]
    ref = refs(client, tool, "同城双活灾备中心", section="背景")
    before = row_counts(client)
    for item, status in (
        ({"section_type": "结束语", "ref": ref}, 422),
        ({"section_type": "background", "ref": "999999:1"}, 404),
        ({"section_type": "background", "ref": ref, "text": " "}, 422),
    ):
        body = {"title": "T", "items": [{"section_type": "background", "ref": ref}, item]}
        assert_error(client.post("/drafts", json=body, headers=tool), status)
    body = {"title": "T", "items": [{"section_type": "background", "ref": ref}]}
    assert_error(client.post("/drafts", json=body, headers=people["zhao.lei"]), 403)
    assert_error(client.post("/drafts", json={**body, "user": "ghost"}, headers=tool), 422)
    assert row_counts(client) == before
