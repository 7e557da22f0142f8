"""People over HTTP: rotating one's own token, managers changing role and team."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Headers, assert_error


def test_a_person_rotates_their_own_token(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post("/users/me/token", headers=people["chen.jie"])
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "chen.jie" and body["token"].startswith("kb_")
    assert_error(client.get("/documents", headers=people["chen.jie"]), 401, "unauthorized")
    fresh = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/documents", headers=fresh).status_code == 200


def test_manager_changes_role_and_team(client: TestClient, people: dict[str, Headers]) -> None:
    manager = people["wang.min"]
    response = client.patch("/users/zhao.lei", json={"role": "contributor"}, headers=manager)
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["team"]) == ("contributor", "华东售前")
    created = client.post(
        "/documents",
        json={"title": "Now a contributor", "kind": "product_note", "text": "x"},
        headers=people["zhao.lei"],
    )
    assert created.status_code == 201
    moved = client.patch("/users/zhao.lei", json={"team": "华南售前"}, headers=manager).json()
    assert (moved["role"], moved["team"]) == ("contributor", "华南售前")
    cleared = client.patch("/users/zhao.lei", json={"team": None}, headers=manager).json()
    assert cleared["team"] is None


def test_last_manager_cannot_be_demoted(client: TestClient, people: dict[str, Headers]) -> None:
    manager = people["wang.min"]
    response = client.patch("/users/wang.min", json={"role": "contributor"}, headers=manager)
    assert "last active manager" in assert_error(response, 409, "conflict")["message"]
    client.patch("/users/li.na", json={"role": "manager"}, headers=manager)
    assert (
        client.patch("/users/wang.min", json={"role": "reader"}, headers=manager).json()["role"]
        == "reader"
    )


def test_bad_role_and_unknown_person(client: TestClient, people: dict[str, Headers]) -> None:
    manager = people["wang.min"]
    assert_error(client.patch("/users/li.na", json={"role": "boss"}, headers=manager), 422)
    assert_error(client.patch("/users/nobody", json={"team": "x"}, headers=manager), 404)
