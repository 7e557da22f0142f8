"""Reads write nothing: a document read notes its view in memory (written in a batch later),
and routes that only read can use a read-only database URL (KB_DATABASE_READ_URL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from kb.models import Document
from tests.api.conftest import add_people, context_of, create, row_counts


def test_reading_a_document_writes_nothing_until_views_are_written(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    database = tmp_path / "kb0" / "kb.sqlite"
    read_only = f"sqlite:///file:{database}?mode=ro&uri=true"
    client = make_client(database_read_url=read_only)
    context = context_of(client)
    people = add_people(context)
    saved = create(client, people["li.na"], title="DataHub SLA", text="DataHub 99.9%.")
    before = row_counts(client)
    response = client.get(f"/documents/{saved['id']}", headers=people["chen.jie"])
    assert response.status_code == 200, response.text
    assert response.json()["viewed_at"] is not None
    assert row_counts(client) == before
    with Session(context.engine) as session:
        assert session.get(Document, saved["id"]).viewed_at is None  # type: ignore[union-attr]
    assert context.views.flush(context.engine) == 1
    with Session(context.engine) as session:
        assert session.get(Document, saved["id"]).viewed_at is not None  # type: ignore[union-attr]
    assert context.read_engine is not context.engine


def test_health_is_ready_once_the_indexes_are_loaded(client: TestClient) -> None:
    """Before the app starts, nothing is loaded: not ready. Starting it (its lifespan) starts
    the follower, which loads the indexes; then /health is ready, with the seq and lag."""
    before = client.get("/health").json()
    assert before["ready"] is False and before["seq"] is None
    with client:  # runs the lifespan: the follower thread starts
        people = add_people(context_of(client))
        saved = create(client, people["li.na"], title="DataHub SLA", text="DataHub 99.9%.")
        health = client.get("/health").json()
        assert health["ready"] is True
        assert health["seq"] >= saved["seq"] and health["lag"] == 0
    assert context_of(client).indexes.following is False  # stopped with the app
