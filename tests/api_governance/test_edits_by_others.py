"""Edits by someone other than the owner: the owner is told; in a team that asks for it, a
change to an approved Q&A waits as a pending edit for the owner. Hand-overs are told too."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.context import Context
from kb.clock import utcnow
from kb.models import Notification
from tests.api_governance.conftest import Headers, error_of, write
from tests.web.test_security import sign_in


def told(context: Context, recipient: str) -> list[Notification]:
    with Session(context.engine) as session:
        return list(
            session.exec(
                select(Notification)
                .where(Notification.recipient == recipient)
                .order_by(col(Notification.id))
            )
        )


def test_owner_is_told_of_a_change_by_someone_else(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-owned", owner="li.na", at=utcnow(), tags=["sla"])
    change = {"base_version": 1, "tags": ["sla", "rfp"], "change_note": "for the bank RFP"}
    assert client.put(f"/documents/{doc}", json=change, headers=tokens["wang.fang"]).json()[
        "changed"
    ]
    [note] = told(app_context, "li.na")
    assert (note.topic, note.document_id) == ("edit_by_other", doc)
    assert "wang.fang" in note.subject and "tags: +rfp" in note.body and "bank RFP" in note.body
    own = {"base_version": 2, "text": "Owner's own edit."}
    client.put(f"/documents/{doc}", json=own, headers=tokens["li.na"])
    assert len(told(app_context, "li.na")) == 1  # the owner's own edit tells nobody


def test_hand_over_tells_the_successor(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    write(app_context, "qa-leaver", owner="wang.fang", at=utcnow())
    client.post("/people/wang.fang/handover", json={"to": "liu.yang"}, headers=tokens["boss"])
    [note] = told(app_context, "liu.yang")
    assert note.topic == "handover" and "qa-leaver" in note.body


def approve(client: TestClient, tokens: dict[str, Headers], doc: int) -> None:
    """Make the east team's Q&A edits wait for the owner, and approve `doc` (owned by li.na)."""
    policy = {"owner_approves_qa_edits": True}
    assert client.put("/teams/east/policy", json=policy, headers=tokens["boss"]).status_code == 200
    request = client.post("/reviews", json={"document": doc}, headers=tokens["boss"]).json()
    client.post(
        f"/reviews/{request['id']}/decision", json={"decision": "approve"}, headers=tokens["li.na"]
    )


def form_of(page: str) -> dict[str, str]:
    """The values a page's form would send as it stands (inputs and textareas)."""
    values = {
        m["name"]: html.unescape(m["value"])
        for m in re.finditer(
            r'<input[^>]*?name="(?P<name>[^"]+)"[^>]*?value="(?P<value>[^"]*)"', page
        )
    }
    for m in re.finditer(
        r'<textarea[^>]*?name="(?P<name>[^"]+)"[^>]*>(?P<text>.*?)</textarea>', page, re.S
    ):
        values[m["name"]] = html.unescape(m["text"])
    return values


def test_an_edit_on_the_web_page_waits_for_the_owner_as_over_the_api(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-web", owner="li.na", at=utcnow() - timedelta(days=1))
    approve(client, tokens, doc)
    assert sign_in(client, "wang.fang", tokens["wang.fang"]["Authorization"].split()[-1]) == 303
    form = {**form_of(client.get(f"/doc/{doc}/edit").text), "text": "A web answer."}
    sent = client.post(f"/doc/{doc}/edit", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/doc/{doc}?held=1"
    assert 'id="edit-held"' in client.get(sent.headers["location"]).text
    current = client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()
    assert (current["text"], current["version"]) == ("An answer.", 1)
    assert [n.topic for n in told(app_context, "li.na")][-1] == "pending_edit"


def test_change_to_approved_qa_waits_for_the_owner(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-approved", owner="li.na", at=utcnow() - timedelta(days=1))
    approve(client, tokens, doc)
    change = {"base_version": 1, "text": "A better answer."}
    held = client.put(f"/documents/{doc}", json=change, headers=tokens["wang.fang"]).json()
    assert (held["changed"], held["version"]) == (False, 1) and held["pending_edit"]
    current = client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()
    assert (current["text"], current["approved"]) == ("An answer.", True)
    assert [n.topic for n in told(app_context, "li.na")][-1] == "pending_edit"
    bad = client.put(
        f"/documents/{doc}",
        json={"base_version": 1, "kind": "qa", "review_interval_days": 0},
        headers=tokens["wang.fang"],
    )
    error_of(bad, 422, "invalid_input")  # a held change is validated first
    decide = f"/documents/{doc}/pending/{held['pending_edit']}"
    error_of(
        client.post(decide, json={"accept": True}, headers=tokens["wang.fang"]), 403, "forbidden"
    )
    accepted = client.post(decide, json={"accept": True}, headers=tokens["li.na"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    current = client.get(f"/documents/{doc}", headers=tokens["li.na"]).json()
    assert (current["text"], current["version"], current["author"]) == (
        "A better answer.",
        2,
        "wang.fang",
    )
    assert current["approved"] is False
    assert [n.topic for n in told(app_context, "wang.fang")] == ["pending_edit"]
    assert "edit_by_other" not in [n.topic for n in told(app_context, "li.na")]  # she accepted
    error_of(client.post(decide, json={"accept": False}, headers=tokens["li.na"]), 409, "conflict")
    events = client.get(f"/documents/{doc}/versions", headers=tokens["li.na"]).json()["events"]
    assert [e["detail"].get("status") for e in events if e["action"] == "pending_edit"] == [
        "pending",
        "accepted",
    ]


def test_without_the_team_policy_edits_apply_at_once(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    doc = write(app_context, "qa-south", owner="wang.fang", at=utcnow())
    request = client.post("/reviews", json={"document": doc}, headers=tokens["boss"]).json()
    client.post(
        f"/reviews/{request['id']}/decision",
        json={"decision": "approve"},
        headers=tokens["wang.fang"],
    )
    saved = client.put(
        f"/documents/{doc}", json={"base_version": 1, "text": "Changed."}, headers=tokens["li.na"]
    ).json()
    assert (saved["changed"], saved["version"], saved["pending_edit"]) == (True, 2, None)
