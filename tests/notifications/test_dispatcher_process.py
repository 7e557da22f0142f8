"""The dispatcher as a real process: killed mid-delivery, the next run resends (at least once)
with the same idempotency key, so the receiver keeps one copy; `kb serve` delivers in the
background while it keeps answering requests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.models import Delivery
from kb.outbox import Message, notify, set_preference
from kb.people import add_person
from tests.notifications.conftest import Receiver, free_port

ROOT = Path(__file__).resolve().parents[2]
HELLO = Message("handover", "Documents handed over to you", "3 documents are yours now.")


def queued(home: Path, receiver: Receiver) -> Engine:
    """A data folder with one notification queued for a JSON webhook at `/hang`."""
    engine = make_engine(Settings(home=home))
    with transaction(engine) as session:
        add_person(session, "li.na", role="contributor")
        hook = {"format": "json", "url": f"{receiver.url}/hang"}
        set_preference(session, "li.na", email=None, webhooks=[hook], mute_digest=False)
        notify(session, "li.na", "handover/1/li.na", HELLO)
    return engine


def kb(home: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env={**os.environ, "KB_HOME": str(home), "HF_HUB_OFFLINE": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def health_of(port: int) -> httpx.Response:
    """GET /health, waiting for the server to listen (the dispatcher may start first)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=30)
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "kb serve is not listening"
            time.sleep(0.2)


def delivery(engine: Engine) -> Delivery:
    with Session(engine) as session:
        [found] = session.exec(select(Delivery)).all()
        return found


def test_killed_mid_delivery_resends_once_on_restart(tmp_path: Path, receiver: Receiver) -> None:
    home = tmp_path / "kb"
    engine = queued(home, receiver)
    lease = {"KB_NOTIFY_LEASE_SECONDS": "1", "KB_NOTIFY_TIMEOUT_SECONDS": "60"}
    first = kb(home, "notify", **lease)
    assert receiver.arrived.wait(60), "the dispatcher never delivered"
    first.kill()  # mid-delivery: the receiver has the message, kb has no answer yet
    first.wait(10)
    held = delivery(engine)
    assert (held.status, held.attempts, held.sent_at) == ("pending", 1, None)
    receiver.release.set()
    time.sleep(2.2)  # the dead dispatcher's lease runs out
    second = kb(home, "notify", **lease)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert "sent 1" in out
    done = delivery(engine)
    assert (done.status, done.attempts) == ("sent", 2)
    assert [p["key"] for p in receiver.posts] == [done.key, done.key]  # resent, same key
    assert list(receiver.unique) == [done.key]  # the receiver keeps one
    engine.dispose()


def test_serve_delivers_in_the_background_without_blocking_requests(
    tmp_path: Path, receiver: Receiver
) -> None:
    home = tmp_path / "kb"
    engine = queued(home, receiver)
    port = free_port()
    server = kb(home, "serve", KB_PORT=str(port), KB_NOTIFY_INTERVAL_SECONDS="0.2")
    try:
        assert receiver.arrived.wait(120), "kb serve did not deliver"
        # the dispatcher is held by the receiver; requests are answered all the same
        assert health_of(port).status_code == 200 and not receiver.release.is_set()
        receiver.release.set()
        deadline = time.monotonic() + 30
        while delivery(engine).status != "sent":
            assert time.monotonic() < deadline, "delivery not recorded"
            time.sleep(0.1)
        assert len(receiver.posts) == 1
    finally:
        server.terminate()
        server.communicate(timeout=30)
        engine.dispose()
