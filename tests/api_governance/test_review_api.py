from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.context import Context
from kb.clock import utcnow
from kb.models import Document, DocumentVersion, Event
from tests.api_governance.conftest import Headers, error_of, write


@pytest.fixture
def stale_id(app_context: Context, tokens: dict[str, Headers]) -> int:
    return write(app_context, "stale", owner="li.na", at=utcnow() - timedelta(days=300))


def test_owner_review_resets_the_clock(
    client: TestClient, app_context: Context, tokens: dict[str, Headers], stale_id: int
) -> None:
    response = client.post(
        f"/documents/{stale_id}/review", json={"note": "still true"}, headers=tokens["li.na"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["document_id"], body["version"], body["reviewed_by"], body["note"]) == (
        stale_id,
        1,
        "li.na",
        "still true",
    )
    assert (body["freshness"]["status"], body["freshness"]["score"]) == ("fresh", 100)
    with Session(app_context.engine) as session:
        document = session.get(Document, stale_id)
        assert document is not None and document.reviewed_at is not None
        assert document.current_version == 1
        assert len(session.exec(select(DocumentVersion)).all()) == 1
        [event] = session.exec(select(Event).where(Event.action == "review")).all()
    assert (event.actor, event.document_id, event.detail) == (
        "li.na",
        stale_id,
        {"note": "still true"},
    )


def test_managers_may_review_without_a_note(
    client: TestClient, tokens: dict[str, Headers], stale_id: int
) -> None:
    response = client.post(f"/documents/{stale_id}/review", headers=tokens["boss"])
    assert response.status_code == 200, response.text
    assert response.json()["note"] is None


@pytest.mark.parametrize("user", ["wang.fang", "sun.hao"])
def test_others_get_403(
    client: TestClient, app_context: Context, tokens: dict[str, Headers], stale_id: int, user: str
) -> None:
    response = client.post(f"/documents/{stale_id}/review", json={}, headers=tokens[user])
    error_of(response, 403, "forbidden")
    with Session(app_context.engine) as session:
        assert not session.exec(select(Event).where(Event.action == "review")).all()


def test_unknown_document_is_404(client: TestClient, tokens: dict[str, Headers]) -> None:
    error_of(client.post("/documents/999/review", headers=tokens["boss"]), 404, "not_found")


@pytest.mark.parametrize("body", [{"note": "x" * 2001}, {"notes": "checked prices"}])
def test_overlong_notes_and_unknown_fields_are_422(
    client: TestClient,
    app_context: Context,
    tokens: dict[str, Headers],
    stale_id: int,
    body: dict[str, str],
) -> None:
    response = client.post(f"/documents/{stale_id}/review", json=body, headers=tokens["li.na"])
    error_of(response, 422, "invalid_input")
    with Session(app_context.engine) as session:
        assert not session.exec(select(Event).where(Event.action == "review")).all()


def test_review_needs_a_token(client: TestClient, stale_id: int) -> None:
    error_of(client.post(f"/documents/{stale_id}/review"), 401, "unauthorized")
