"""API fixtures: a TestClient per test over a fresh SQLite file and real FAISS, sharing the
session's model; a small cast of people with their bearer tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, select

from api.app import create_app
from api.context import Context
from kb.config import Settings
from kb.db import transaction
from kb.models import Bid, Chunk, Document, DocumentVersion, Event, Grant, Person, Reuse
from kb.people import add_person
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context

# name, role, team
PEOPLE = (
    ("wang.min", "manager", "华东售前"),
    ("li.na", "contributor", "华东售前"),
    ("zhang.wei", "contributor", "华南售前"),
    ("zhao.lei", "reader", "华东售前"),
    ("chen.jie", "reader", "华南售前"),
    ("proposal-tool", "service", None),
)
Headers = dict[str, str]
TABLES = (Document, DocumentVersion, Chunk, Event, Grant, Reuse, Bid, Person)


@pytest.fixture
def make_client(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[Callable[..., TestClient]]:
    """A factory: `make_client(max_file_bytes=100)` builds an app with those settings."""
    contexts: list[Context] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(home=tmp_path / f"kb{len(contexts)}", **overrides)
        contexts.append(make_context(settings, embedder))
        return TestClient(create_app(context=contexts[-1]))

    yield make
    for context in contexts:
        context.engine.dispose()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def context_of(client: TestClient) -> Context:
    context: Context = client.app.state.context  # type: ignore[attr-defined]
    return context


def add_people(context: Context) -> dict[str, Headers]:
    tokens: dict[str, Headers] = {}
    with transaction(context.engine) as session:
        for name, role, team in PEOPLE:
            _, token = add_person(session, name, role=role, team=team)
            tokens[name] = {"Authorization": f"Bearer {token}"}
    return tokens


@pytest.fixture
def people(client: TestClient) -> dict[str, Headers]:
    """Authorization headers by user name (see PEOPLE)."""
    return add_people(context_of(client))


def create(client: TestClient, headers: Headers, **body: Any) -> dict[str, Any]:
    """POST /documents, expecting 201."""
    body.setdefault("kind", "product_note")
    body.setdefault("text", f"{body['title']}.")
    response = client.post("/documents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def proposal_and_result(
    client: TestClient, people: dict[str, Headers], bid: str, **result: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """li.na's proposal for `bid` (南方银行, 金融, on X-200 disaster recovery), the manager's
    bid_result of it (`result`: its outcome, text and other fields), and the proposal tool's
    report that zhang.wei reused the proposal in the bid."""
    proposal = create(
        client,
        people["li.na"],
        kind="proposal",
        title="南方银行 灾备方案",
        customer="南方银行",
        industry="金融",
        bid=bid,
        text="## 解决方案\n\nX-200 active-active disaster recovery across two data centres.",
    )
    written = create(
        client, people["wang.min"], kind="bid_result", title=f"{bid} result", bid=bid, **result
    )
    reuse = {"document_id": proposal["id"], "proposal_ref": "P-1", "bid_ref": bid}
    reused = client.post(
        "/reuse", json={**reuse, "user": "zhang.wei"}, headers=people["proposal-tool"]
    )
    assert reused.status_code == 201, reused.text
    return proposal, written


def row_counts(client: TestClient) -> dict[str, int]:
    """Rows per table: compare before and after a request that must write nothing."""
    with Session(context_of(client).engine) as session:
        return {
            table.__name__: int(session.exec(select(func.count()).select_from(table)).one())
            for table in TABLES
        }


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The fixed error shape: {"error": {"code", "message"}} with the given status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def db_client(
    settings: Settings, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, dict[str, Headers]]]:
    """A TestClient and the PEOPLE cast, on SQLite and on PostgreSQL."""
    context = make_context(settings, embedder)
    people = add_people(context)
    yield TestClient(create_app(context=context)), people
    context.engine.dispose()
