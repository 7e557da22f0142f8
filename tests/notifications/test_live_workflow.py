"""Issue 13 end to end over a real server: the review workflow, edits by others, diffs of
fields, restore, people, and the notifications they send, delivered to a real SMTP server and
a real robot webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kb.dispatch import dispatch
from search.embedder import SentenceTransformerEmbedder
from tests.api.servers import LiveServer, live_server_over
from tests.conftest import make_context
from tests.notifications.conftest import Mailbox, Receiver


@pytest.fixture
def live(notify_settings: Any, embedder: SentenceTransformerEmbedder) -> Iterator[LiveServer]:
    context = make_context(notify_settings, embedder)
    with live_server_over(context) as server:
        yield server
    context.engine.dispose()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_review_edit_restore_and_people_tell_the_right_people(
    live: LiveServer, mailbox: Mailbox, receiver: Receiver
) -> None:
    manager, owner, verifier = (live.people[n] for n in ("wang.min", "li.na", "zhang.wei"))
    with httpx.Client(base_url=live.base, timeout=120) as http:
        hook = {"webhooks": [{"format": "dingtalk", "url": f"{receiver.url}/dingtalk"}]}
        ok(http.put("/notifications/preferences", json=hook, headers=owner))
        mail = {"email": "zhang.wei@example.com"}
        ok(http.put("/notifications/preferences", json=mail, headers=verifier))
        default = {"kind": "qa", "team": "华东售前", "verifiers": ["zhang.wei"]}
        ok(http.put("/verifier-defaults", json=default, headers=manager))
        qa = {
            "title": "故障响应",
            "kind": "qa",
            "question": "SLA?",
            "text": "7x24。",
            "tags": ["sla"],
        }
        doc = ok(http.post("/documents", json=qa, headers=owner), 201)["id"]
        assert ok(http.get(f"/documents/{doc}/verifiers", headers=owner)) == {
            "verifiers": ["zhang.wei"],
            "source": "default (kind and team)",
        }
        first = ok(http.post("/reviews", json={"document": doc}, headers=manager), 201)
        [queued] = ok(http.get("/reviews/mine", headers=verifier))["items"]
        assert queued["id"] == first["id"]
        change = {"decision": "needs_changes", "note": "补充到场时间"}
        ok(http.post(f"/reviews/{first['id']}/decision", json=change, headers=verifier))
        edit = {"base_version": 1, "text": "7x24，2 小时到场。", "tags": ["sla", "金融"]}
        assert ok(http.put(f"/documents/{doc}", json=edit, headers=verifier))["version"] == 2
        diff = ok(http.get(f"/documents/{doc}/diff?from=1&to=2", headers=owner))
        tags = [c for c in diff["changes"] if c["field"] == "tags"]
        assert [(c["added"], c["removed"]) for c in tags] == [(["金融"], [])]
        second = ok(http.post("/reviews", json={"document": doc}, headers=manager), 201)
        approve = {"decision": "approve", "note": "OK"}
        ok(http.post(f"/reviews/{second['id']}/decision", json=approve, headers=verifier))
        assert ok(http.get(f"/documents/{doc}", headers=owner))["approved"] is True
        ok(http.post(f"/documents/{doc}/archive", headers=manager))
        assert ok(http.post(f"/documents/{doc}/restore", headers=manager))["status"] == "active"
        events = ok(http.get(f"/documents/{doc}/versions", headers=owner))["events"]
        new_token = ok(http.post("/users/me/token", headers=verifier))["token"]
        assert http.get("/reviews/mine", headers=verifier).status_code == 401
        verifier = {"Authorization": f"Bearer {new_token}"}
        assert ok(http.get("/reviews/mine", headers=verifier))["items"] == []
        moved = ok(http.patch("/users/zhang.wei", json={"team": "华东售前"}, headers=manager))
        assert moved["team"] == "华东售前"
        ok(http.post("/people/li.na/handover", json={"to": "zhang.wei"}, headers=manager))
        report = dispatch(live.context.engine, live.context.settings)
        failed = ok(http.get("/notifications?status=failed", headers=manager))["items"]
    assert [e["action"] for e in events][-3:] == ["review", "archive", "restore"]
    assert [e["detail"].get("decision") for e in events if e["action"] == "review"] == [
        "needs_changes",
        "approve",
    ]
    assert (report.failed, failed) == (0, [])
    assert sorted(str(m["Subject"]) for m in mailbox.messages) == [
        "1 document(s) handed over to you from li.na",
        "Review requested: 故障响应",
        "Review requested: 故障响应",
    ]
    to_owner = [p["body"]["markdown"]["title"] for p in receiver.posts]
    assert len(to_owner) == 2 and "zhang.wei changed 故障响应" in to_owner
