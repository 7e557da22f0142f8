from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.context import Context
from kb.clock import utcnow
from kb.db import transaction
from kb.people import set_disabled
from tests.api_governance.conftest import Headers, error_of, write


@pytest.fixture
def library(app_context: Context, tokens: dict[str, Headers]) -> None:
    now = utcnow()
    write(app_context, "fresh", owner="li.na", at=now - timedelta(days=5))
    write(app_context, "due-soon", owner="wang.fang", at=now - timedelta(days=175))
    write(app_context, "stale", owner="li.na", at=now - timedelta(days=300))
    write(app_context, "forgotten", owner="li.na", at=now - timedelta(days=400))
    write(app_context, "leaver", owner="liu.yang", at=now - timedelta(days=5))
    write(
        app_context,
        "secret",
        owner="wang.fang",
        at=now - timedelta(days=5),
        confidentiality="confidential",
    )
    with transaction(app_context.engine) as session:
        set_disabled(session, "liu.yang")


def test_managers_get_every_status_worst_first(
    client: TestClient, tokens: dict[str, Headers], library: None
) -> None:
    response = client.get("/audit/freshness", headers=tokens["boss"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == {"fresh": 2, "due_soon": 1, "stale": 2, "unowned": 1}
    statuses = {d["source_id"]: d["status"] for d in body["documents"]}
    assert statuses == {
        "fresh": "fresh",
        "secret": "fresh",
        "due-soon": "due_soon",
        "stale": "stale",
        "forgotten": "stale",
        "leaver": "unowned",
    }
    assert body["documents"][0]["source_id"] == "forgotten"
    scores = [d["score"] for d in body["documents"]]
    assert scores == sorted(scores)
    first = body["documents"][0]
    assert {"interval_days", "last_verified", "due_at", "days_overdue", "team", "owner"} <= set(
        first
    )


def test_audit_filters(client: TestClient, tokens: dict[str, Headers], library: None) -> None:
    def ids(**params: str) -> set[str]:
        response = client.get("/audit/freshness", params=params, headers=tokens["boss"])
        assert response.status_code == 200, response.text
        return {d["source_id"] for d in response.json()["documents"]}

    assert ids(status="stale") == {"stale", "forgotten"}
    assert ids(owner="wang.fang") == {"due-soon", "secret"}
    assert ids(team="south", status="due_soon") == {"due-soon"}
    assert ids(kind="proposal") == set()
    assert ids(status="archived") == set()
    assert len(ids(document_status="all")) == 6


def test_audit_as_of_a_day_ahead(
    client: TestClient, tokens: dict[str, Headers], library: None
) -> None:
    """A year on, everything but the leaver's document (still unowned) is stale."""
    day = (utcnow() + timedelta(days=365)).date().isoformat()
    response = client.get("/audit/freshness", params={"as_of": day}, headers=tokens["boss"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["now"].startswith(day)
    assert body["counts"] == {"fresh": 0, "due_soon": 0, "stale": 5, "unowned": 1}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "mouldy"},
        {"kind": "memo"},
        {"document_status": "gone"},
        {"as_of": "someday"},
        {"owner_name": "li.na"},
    ],
)
def test_bad_filters_are_422(
    client: TestClient, tokens: dict[str, Headers], params: dict[str, str]
) -> None:
    error_of(
        client.get("/audit/freshness", params=params, headers=tokens["boss"]), 422, "invalid_input"
    )


@pytest.mark.parametrize("path", ["/audit/freshness", "/audit/archive-candidates"])
@pytest.mark.parametrize("user", ["li.na", "sun.hao"])
def test_audits_are_for_managers(
    client: TestClient, tokens: dict[str, Headers], path: str, user: str
) -> None:
    error_of(client.get(path, headers=tokens[user]), 403, "forbidden")


def test_archive_candidates(client: TestClient, tokens: dict[str, Headers], library: None) -> None:
    response = client.get("/audit/archive-candidates", headers=tokens["boss"])
    assert response.status_code == 200, response.text
    assert [d["source_id"] for d in response.json()["documents"]] == ["forgotten"]
