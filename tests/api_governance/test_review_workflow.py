"""The review workflow over HTTP: verifiers (owner by default, defaults per kind and team,
named per document), requests for one document or a team's stale ones, each person's queue,
approve / needs-changes decisions kept in the history, and the `approved` flag."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.context import Context
from kb.clock import utcnow
from kb.models import Notification
from tests.api_governance.conftest import Headers, error_of, write

OLD = utcnow() - timedelta(days=400)


def test_verifiers_default_to_owner_then_kind_and_team_then_document(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-1", owner="wang.fang", at=OLD)
    path = f"/documents/{doc}/verifiers"
    assert client.get(path, headers=tokens["boss"]).json() == {
        "verifiers": ["wang.fang"],
        "source": "owner",
    }
    default = {"kind": "qa", "team": None, "verifiers": ["boss"]}
    assert client.put("/verifier-defaults", json=default, headers=tokens["boss"]).status_code == 200
    assert client.get(path, headers=tokens["boss"]).json()["source"] == "default (kind)"
    south = {"kind": "qa", "team": "south", "verifiers": ["liu.yang"]}
    client.put("/verifier-defaults", json=south, headers=tokens["boss"])
    assert client.get(path, headers=tokens["boss"]).json() == {
        "verifiers": ["liu.yang"],
        "source": "default (kind and team)",
    }
    named = client.put(path, json={"verifiers": ["li.na"]}, headers=tokens["wang.fang"])
    assert named.json() == {"verifiers": ["li.na"], "source": "document"}
    refused = client.put(path, json={"verifiers": ["li.na"]}, headers=tokens["liu.yang"])
    error_of(refused, 403, "forbidden")
    reader = client.put(path, json={"verifiers": ["sun.hao"]}, headers=tokens["boss"])
    assert "cannot verify" in error_of(reader, 422, "invalid_input")


def test_request_queue_approve_and_needs_changes(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-2", owner="li.na", at=OLD)
    asked = client.post(
        "/reviews", json={"document": doc, "note": "RFP next week"}, headers=tokens["boss"]
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["verifiers"], request["status"]) == (["li.na"], "open")
    again = client.post("/reviews", json={"document": doc}, headers=tokens["boss"])
    assert again.json()["id"] == request["id"]  # one open request per document
    queue = client.get("/reviews/mine", headers=tokens["li.na"]).json()["items"]
    assert [r["id"] for r in queue] == [request["id"]]
    assert client.get("/reviews/mine", headers=tokens["wang.fang"]).json()["items"] == []
    decide = f"/reviews/{request['id']}/decision"
    error_of(
        client.post(decide, json={"decision": "approve"}, headers=tokens["wang.fang"]),
        403,
        "forbidden",
    )
    assert client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()["approved"] is False
    done = client.post(
        decide, json={"decision": "approve", "note": "checked"}, headers=tokens["li.na"]
    )
    assert (done.json()["status"], done.json()["decided_by"]) == ("approved", "li.na")
    detail = client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()
    assert detail["approved"] is True and detail["reviewed_at"] is not None
    error_of(
        client.post(decide, json={"decision": "approve"}, headers=tokens["li.na"]), 409, "conflict"
    )
    assert client.get("/reviews/mine", headers=tokens["li.na"]).json()["items"] == []
    # a second round asks for changes: the owner is told, the approval of v1 stands
    second = client.post("/reviews", json={"document": doc}, headers=tokens["boss"]).json()
    changes = {"decision": "needs_changes", "note": "price list is old"}
    client.post(f"/reviews/{second['id']}/decision", json=changes, headers=tokens["boss"])
    events = client.get(f"/documents/{doc}/versions", headers=tokens["li.na"]).json()["events"]
    assert [(e["action"], e["detail"].get("decision")) for e in events] == [
        ("review_request", None),
        ("review", "approve"),
        ("review_request", None),
        ("review", "needs_changes"),
    ]
    assert events[-1]["detail"]["note"] == "price list is old"
    with Session(app_context.engine) as session:
        topics = [(n.recipient, n.topic) for n in session.exec(select(Notification))]
    assert topics == [
        ("li.na", "review_request"),
        ("li.na", "review_request"),
        ("li.na", "review_decision"),
    ]
    # an edit makes a new version, which needs its own approval
    client.put(
        f"/documents/{doc}",
        json={"base_version": 1, "text": "New answer."},
        headers=tokens["li.na"],
    )
    assert client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()["approved"] is False


def test_requesting_reviews_of_a_teams_stale_documents(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    stale_south = write(app_context, "qa-south", owner="wang.fang", at=OLD)
    write(app_context, "qa-south-fresh", owner="liu.yang", at=utcnow())
    write(app_context, "qa-east", owner="li.na", at=OLD)
    response = client.post("/reviews/stale", json={"team": "south"}, headers=tokens["boss"])
    assert response.status_code == 201
    assert [r["document_id"] for r in response.json()["items"]] == [stale_south]
    error_of(
        client.post("/reviews/stale", json={"team": "south"}, headers=tokens["li.na"]),
        403,
        "forbidden",
    )
    assert [
        r["document_id"] for r in client.get("/reviews", headers=tokens["boss"]).json()["items"]
    ] == [stale_south]
