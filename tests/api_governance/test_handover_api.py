from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.context import Context
from kb.db import transaction
from kb.models import Document, Event, Person
from kb.people import set_disabled
from tests.api_governance.conftest import Headers, error_of, write


@pytest.fixture
def owned(app_context: Context, tokens: dict[str, Headers]) -> None:
    for source_id in ("a", "b", "c"):
        write(app_context, source_id, owner="liu.yang", at=datetime(2026, 6, 1))
    write(app_context, "d", owner="li.na", at=datetime(2026, 6, 1))


def owners(context: Context) -> dict[str, str | None]:
    with Session(context.engine) as session:
        return {d.source_id: d.owner for d in session.exec(select(Document))}


def test_handover_moves_documents_and_disables_the_leaver(
    client: TestClient, app_context: Context, tokens: dict[str, Headers], owned: None
) -> None:
    response = client.post(
        "/people/liu.yang/handover",
        json={"to": "wang.fang", "disable": True},
        headers=tokens["boss"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["count"], body["disabled"]) == (
        "liu.yang",
        "wang.fang",
        3,
        True,
    )
    assert owners(app_context) == {
        "a": "wang.fang",
        "b": "wang.fang",
        "c": "wang.fang",
        "d": "li.na",
    }
    with Session(app_context.engine) as session:
        events = session.exec(select(Event).where(Event.action == "handover")).all()
        disabled = {p.name for p in session.exec(select(Person)) if p.disabled}
    assert [(e.actor, e.detail) for e in events] == [
        ("boss", {"from": "liu.yang", "to": "wang.fang"})
    ] * 3
    assert disabled == {"liu.yang"}
    assert not {owner for owner in owners(app_context).values()} & disabled
    error_of(client.get("/contributions", headers=tokens["liu.yang"]), 401, "unauthorized")


def test_handover_without_disable(
    client: TestClient, app_context: Context, tokens: dict[str, Headers], owned: None
) -> None:
    response = client.post(
        "/people/liu.yang/handover", json={"to": "li.na"}, headers=tokens["boss"]
    )
    assert response.json()["disabled"] is False
    assert set(owners(app_context).values()) == {"li.na"}


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("liu.yang", {"to": "nobody"}, 404, "not_found"),
        ("liu.yang", {"to": "sun.hao.disabled"}, 422, "invalid_input"),
        ("liu.yang", {"to": "liu.yang"}, 422, "invalid_input"),
        ("liu.yang", {}, 422, "invalid_input"),
        ("liu.yang", {"to": "li.na", "disabel": True}, 422, "invalid_input"),
        ("liu.yang", {"to": "sun.hao"}, 422, "invalid_input"),  # a reader cannot update
        ("nobody", {"to": "li.na"}, 404, "not_found"),
    ],
)
def test_bad_handovers_change_nothing(
    client: TestClient,
    app_context: Context,
    tokens: dict[str, Headers],
    owned: None,
    name: str,
    body: dict[str, object],
    status: int,
    code: str,
) -> None:
    with transaction(app_context.engine) as session:
        session.add(Person(name="sun.hao.disabled"))
        session.flush()
        set_disabled(session, "sun.hao.disabled")
    before = owners(app_context)
    response = client.post(
        f"/people/{name}/handover", json={**body, "disable": True}, headers=tokens["boss"]
    )
    error_of(response, status, code)
    assert owners(app_context) == before


@pytest.mark.parametrize("user", ["li.na", "sun.hao"])
def test_handover_is_for_managers(
    client: TestClient, app_context: Context, tokens: dict[str, Headers], owned: None, user: str
) -> None:
    response = client.post("/people/liu.yang/handover", json={"to": "li.na"}, headers=tokens[user])
    error_of(response, 403, "forbidden")
    assert owners(app_context)["a"] == "liu.yang"
