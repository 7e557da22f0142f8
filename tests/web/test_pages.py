"""Page behaviour that needs no browser (TestClient over a real SQLite store): status actions,
validation beside fields, the draft's collect and reorder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from api.app import create_app
from api.context import Context
from kb.config import Settings
from kb.db import transaction
from kb.models import Document, Reuse
from kb.people import add_person
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context

CAST = (("boss", "manager"), ("li.na", "contributor"), ("sun.hao", "reader"))


@pytest.fixture
def app(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Iterator[tuple[Context, dict]]:
    context = make_context(Settings(home=tmp_path / "kb"), embedder)
    with transaction(context.engine) as session:
        tokens = {name: add_person(session, name, role=role)[1] for name, role in CAST}
    yield context, tokens
    context.engine.dispose()


def browser_for(context: Context, tokens: dict, who: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(context=context))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert csrf is not None
    data = {"csrf": csrf.group(1), "name": who, "secret": tokens[who], "next": "/"}
    assert client.post("/signin", data=data, follow_redirects=False).status_code == 303
    fresh = re.search(r'name="csrf" value="([^"]+)"', client.get("/account").text)
    assert fresh is not None
    return client, fresh.group(1)


def documents(context: Context) -> int:
    with Session(context.engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def create(client: TestClient, csrf: str, **fields: str) -> int:
    response = client.post("/contribute", data={"csrf": csrf, **fields}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_bad_form_shows_messages_beside_fields_and_stores_nothing(app: tuple) -> None:
    context, tokens = app
    client, csrf = browser_for(context, tokens, "li.na")
    response = client.post(
        "/contribute",
        data={"csrf": csrf, "kind": "competitor_intel", "title": "华为云 新报价", "text": "正文"},
    )
    assert response.status_code == 422
    for field in ("competitor", "source", "observed"):
        assert f'id="err-{field}"' in response.text
    assert 'value="华为云 新报价"' in response.text and ">正文</textarea>" in response.text
    bad_date = client.post(
        "/contribute",
        data={"csrf": csrf, "kind": "product_note", "title": "t", "text": "x", "updated": "soon"},
    )
    assert bad_date.status_code == 422 and 'id="err-updated"' in bad_date.text
    assert documents(context) == 0


def test_managers_archive_restore_and_delete_and_readers_cannot(app: tuple) -> None:
    context, tokens = app
    client, csrf = browser_for(context, tokens, "boss")
    doc = create(client, csrf, kind="product_note", title="X-200 说明", text="X-200 正文")
    reader, reader_csrf = browser_for(context, tokens, "sun.hao")
    refused = reader.post(f"/doc/{doc}/status", data={"csrf": reader_csrf, "action": "archive"})
    assert refused.status_code == 403
    for action, status in (("archive", "archived"), ("restore", "active"), ("delete", "deleted")):
        client.post(f"/doc/{doc}/status", data={"csrf": csrf, "action": action})
        with Session(context.engine) as session:
            found = session.get(Document, doc)
            assert found is not None and found.status == status
    assert reader.get(f"/doc/{doc}").status_code == 404  # deleted: managers only


def test_the_draft_collects_and_reorders_suggestions(app: tuple) -> None:
    context, tokens = app
    client, csrf = browser_for(context, tokens, "li.na")
    answers = {
        "是否支持单点登录？": "支持单点登录，兼容 SAML 与 OIDC 协议，可对接企业身份目录。",
        "是否支持数据加密？": "支持传输加密与存储加密，密钥由客户的密钥管理系统托管。",
    }
    for question, answer in answers.items():
        create(client, csrf, kind="qa", title=question, question=question, text=answer)
    page = client.post(
        "/draft", data={"csrf": csrf, "text": "是否支持单点登录和数据加密", "action": "suggest"}
    )
    chunk_ids = re.findall(r'name="action" value="add:([\d:]+)"', page.text)
    assert len(chunk_ids) >= 2
    first, second = chunk_ids[:2]
    page = client.post("/draft", data={"csrf": csrf, "action": f"add:{first}"})
    page = client.post("/draft", data={"csrf": csrf, "item": [first], "action": f"add:{second}"})
    assert re.findall(r'name="item" value="([\d:]+)"', page.text) == [first, second]
    page = client.post(
        "/draft", data={"csrf": csrf, "item": [first, second], "action": f"up:{second}"}
    )
    assert re.findall(r'name="item" value="([\d:]+)"', page.text) == [second, first]
    assert 'id="draft-text"' in page.text
    exported = client.post(
        "/draft/export",
        data={
            "csrf": csrf,
            "item": [second, first],
            "title": "华东银行 投标",
            "format": "md",
            "proposal_ref": "P-1",
        },
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/markdown")
    body = exported.text
    assert "# 华东银行 投标" in body
    assert all(answer in body for answer in answers.values())
    with Session(context.engine) as session:
        assert session.exec(select(func.count()).select_from(Reuse)).one() == 2
