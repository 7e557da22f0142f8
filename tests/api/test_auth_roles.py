"""Bearer tokens and roles: 401 without a valid token, 403 for the wrong role."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Headers, assert_error, create, row_counts


def test_missing_token_is_401(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post("/search", json={"query": "backup"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header", ["Bearer kb_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "kb_abc"]
)
def test_invalid_token_is_401(client: TestClient, people: dict[str, Headers], header: str) -> None:
    response = client.get("/documents", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")


# (user, method, path, json): each line is one role rule; a missing rule lets it through.
FORBIDDEN = [
    ("zhao.lei", "post", "/documents", {"title": "t", "kind": "qa", "text": "x", "question": "q"}),
    ("proposal-tool", "post", "/documents", {"title": "t", "kind": "product_note", "text": "x"}),
    ("zhao.lei", "put", "/documents/{id}", {"base_version": 1, "text": "changed"}),
    ("proposal-tool", "put", "/documents/{id}", {"base_version": 1, "text": "changed"}),
    ("li.na", "put", "/documents/{id}", {"base_version": 1, "status": "archived"}),
    ("li.na", "delete", "/documents/{id}", None),
    ("li.na", "post", "/documents/{id}/archive", None),
    ("zhao.lei", "post", "/reuse", {"document_id": "{id}", "proposal_ref": "P-1"}),
    ("li.na", "post", "/reuse", {"document_id": "{id}", "proposal_ref": "P-1"}),
    ("zhao.lei", "post", "/bids/BID-1/outcome", {"outcome": "won"}),
    ("li.na", "post", "/bids/BID-1/outcome", {"outcome": "won"}),
    ("li.na", "post", "/users", {"name": "x.y", "role": "manager"}),
    ("li.na", "get", "/users", None),
    ("zhao.lei", "post", "/users/li.na/disable", None),
    ("proposal-tool", "get", "/documents", None),
    ("proposal-tool", "get", "/documents/{id}", None),
    ("proposal-tool", "get", "/documents/{id}/versions", None),
    ("li.na", "post", "/documents/{id}/restore", None),
    ("li.na", "patch", "/users/zhang.wei", {"role": "manager"}),
]


def _fill(value: Any, doc_id: int) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", str(doc_id))
    if isinstance(value, dict):
        return {
            k: int(_fill(v, doc_id)) if v == "{id}" else _fill(v, doc_id) for k, v in value.items()
        }
    return value


@pytest.mark.parametrize(("user", "method", "path", "body"), FORBIDDEN)
def test_wrong_role_is_403_and_writes_nothing(
    client: TestClient,
    people: dict[str, Headers],
    user: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    doc = create(client, people["li.na"], title="Backup appliance overview")
    before = row_counts(client)
    kwargs: dict[str, Any] = {"headers": people[user]}
    if body is not None:
        kwargs["json"] = _fill(body, doc["id"])
    response = client.request(method.upper(), _fill(path, doc["id"]), **kwargs)
    assert_error(response, 403, "forbidden")
    assert row_counts(client) == before


ALLOWED = [
    ("zhao.lei", "post", "/search", {"query": "backup"}, 200),
    ("proposal-tool", "post", "/search", {"query": "backup"}, 200),
    ("zhao.lei", "post", "/suggestions", {"text": "backup"}, 200),
    ("proposal-tool", "post", "/suggestions", {"text": "backup"}, 200),
    ("zhao.lei", "get", "/documents/{id}", None, 200),
    (
        "li.na",
        "post",
        "/documents",
        {"title": "New note", "kind": "product_note", "text": "x"},
        201,
    ),
    ("zhang.wei", "put", "/documents/{id}", {"base_version": 1, "text": "changed"}, 200),
    ("proposal-tool", "post", "/reuse", {"document_id": "{id}", "proposal_ref": "P-1"}, 201),
    ("proposal-tool", "post", "/bids/BID-1/outcome", {"outcome": "won"}, 200),
    ("wang.min", "post", "/documents/{id}/archive", None, 200),
    ("wang.min", "delete", "/documents/{id}", None, 200),
    ("wang.min", "get", "/users", None, 200),
    ("wang.min", "post", "/documents/{id}/restore", None, 200),
    ("chen.jie", "post", "/users/me/token", None, 200),
    ("proposal-tool", "post", "/users/me/token", None, 200),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "status"), ALLOWED)
def test_right_role_is_let_through(
    client: TestClient,
    people: dict[str, Headers],
    user: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    doc = create(
        client,
        people["li.na"],
        title="BID-1 result",
        kind="bid_result",
        bid="BID-1",
        customer="江北银行",
        outcome="pending",
    )
    kwargs: dict[str, Any] = {"headers": people[user]}
    if body is not None:
        kwargs["json"] = _fill(body, doc["id"])
    response = client.request(method.upper(), _fill(path, doc["id"]), **kwargs)
    assert response.status_code == status, response.text


def test_manager_creates_a_user_whose_token_works(
    client: TestClient, people: dict[str, Headers]
) -> None:
    response = client.post(
        "/users",
        json={"name": "sun.yu", "role": "contributor", "team": "华北售前", "display_name": "孙宇"},
        headers=people["wang.min"],
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["token"].startswith("kb_")
    assert (created["name"], created["role"], created["team"]) == (
        "sun.yu",
        "contributor",
        "华北售前",
    )
    headers = {"Authorization": f"Bearer {created['token']}"}
    create(client, headers, title="Written by the new user")
    listed = client.get("/users", headers=people["wang.min"]).json()["items"]
    assert "sun.yu" in [u["name"] for u in listed]
    assert all("token" not in u and "token_hash" not in u for u in listed)


def test_creating_an_existing_user_is_409(client: TestClient, people: dict[str, Headers]) -> None:
    before = row_counts(client)
    response = client.post(
        "/users", json={"name": "li.na", "role": "reader"}, headers=people["wang.min"]
    )
    assert_error(response, 409, "conflict")
    assert row_counts(client) == before


def test_unknown_role_is_422(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post(
        "/users", json={"name": "x.y", "role": "admin"}, headers=people["wang.min"]
    )
    assert "role" in assert_error(response, 422, "invalid_input")["message"]


def test_disabled_persons_token_stops_working_at_once(
    client: TestClient, people: dict[str, Headers]
) -> None:
    assert client.get("/documents", headers=people["zhao.lei"]).status_code == 200
    response = client.post("/users/zhao.lei/disable", headers=people["wang.min"])
    assert response.status_code == 200 and response.json()["disabled"] is True
    error = assert_error(client.get("/documents", headers=people["zhao.lei"]), 401)
    assert "disabled" in error["message"]


def test_disabling_an_unknown_user_is_404(client: TestClient, people: dict[str, Headers]) -> None:
    assert_error(client.post("/users/nobody/disable", headers=people["wang.min"]), 404, "not_found")
