"""Notifications over HTTP: each person's channels, and failed deliveries made visible."""

from __future__ import annotations

import socket
from datetime import timedelta

from fastapi.testclient import TestClient

from api.context import Context
from kb.clock import utcnow
from kb.dispatch import dispatch
from tests.api_governance.conftest import Headers, error_of, write


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens on it once the socket is closed


def test_preferences_and_failed_deliveries(
    client: TestClient, app_context: Context, tokens: dict[str, Headers]
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/robot"
    chosen = {"email": None, "webhooks": [{"format": "dingtalk", "url": url}], "mute_digest": True}
    saved = client.put("/notifications/preferences", json=chosen, headers=tokens["li.na"])
    assert saved.status_code == 200 and saved.json()["webhooks"] == chosen["webhooks"]
    assert client.get("/notifications/preferences", headers=tokens["li.na"]).json()["mute_digest"]
    bad = {"webhooks": [{"format": "slack", "url": url}]}
    error_of(
        client.put("/notifications/preferences", json=bad, headers=tokens["li.na"]),
        422,
        "invalid_input",
    )
    doc = write(app_context, "qa-n", owner="li.na", at=utcnow() - timedelta(days=400))
    client.post("/reviews", json={"document": doc}, headers=tokens["boss"])
    pending = client.get("/notifications?status=pending", headers=tokens["li.na"]).json()["items"]
    assert [(d["topic"], d["channel"]) for d in pending] == [("review_request", "dingtalk")]
    settings = app_context.settings.model_copy(update={"notify_max_attempts": 1})
    assert dispatch(app_context.engine, settings).failed == 1
    [failed] = client.get("/notifications?status=failed", headers=tokens["boss"]).json()["items"]
    assert (failed["recipient"], failed["attempts"], failed["target"]) == ("li.na", 1, url)
    assert failed["last_error"]
    mine = client.get("/notifications?status=failed", headers=tokens["li.na"]).json()["items"]
    assert [d["id"] for d in mine] == [failed["id"]]
    assert (
        client.get("/notifications?status=failed", headers=tokens["wang.fang"]).json()["items"]
        == []
    )
    error_of(client.get("/notifications?status=lost", headers=tokens["boss"]), 422, "invalid_input")
