"""Governance over HTTP: a TestClient on a fresh SQLite data folder, a cast of people with
tokens, and documents written straight into the store at chosen times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import Context
from kb.config import Settings
from kb.db import transaction
from kb.documents import build_draft
from kb.people import add_person
from kb.store import save_draft
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context

Headers = dict[str, str]
# name, role, team
CAST = (
    ("boss", "manager", "east"),
    ("li.na", "contributor", "east"),
    ("wang.fang", "contributor", "south"),
    ("sun.hao", "reader", "south"),
    ("liu.yang", "contributor", "south"),
)


@pytest.fixture
def app_context(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Iterator[Context]:
    context = make_context(Settings(home=tmp_path / "kb"), embedder)
    yield context
    context.engine.dispose()


@pytest.fixture
def client(app_context: Context) -> TestClient:
    return TestClient(create_app(context=app_context))


@pytest.fixture
def tokens(app_context: Context) -> dict[str, Headers]:
    found: dict[str, Headers] = {}
    with transaction(app_context.engine) as session:
        for name, role, team in CAST:
            _, token = add_person(session, name, role=role, team=team)
            found[name] = {"Authorization": f"Bearer {token}"}
    return found


def write(
    context: Context,
    source_id: str,
    *,
    owner: str,
    at: datetime,
    kind: str = "qa",
    text: str = "An answer.",
    **fields: Any,
) -> int:
    """Save a version as `owner` at `at` (the content date is `at` too unless `updated` given)."""
    fields = {"id": source_id, "kind": kind, "owner": owner, "question": "Q?", **fields}
    draft = build_draft(
        fields, text, origin=source_id, default_id=source_id, default_title=source_id
    )
    with transaction(context.engine) as session:
        document = save_draft(session, draft, [], author=owner, now=at).document
        assert document.id is not None
        return document.id


def error_of(response: Any, status: int, code: str) -> str:
    """The message of an error response, after checking its status and fixed shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message
