"""Real receivers for notifications: an HTTP server that records webhook posts (and drops a
resent copy by its idempotency key, as a careful receiver does) and an aiosmtpd SMTP server;
both on loopback, on a free port."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.people import add_person


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Receiver:
    """What the webhook server got. Paths choose the answer: `/down` answers 500, `/refuse`
    answers 200 with a robot error code, `/hang` holds the first request until released."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)  # every request, resends too
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def unique(self) -> dict[str, dict[str, Any]]:
        """Posts by idempotency key: what a receiver that drops resent copies keeps."""
        kept: dict[str, dict[str, Any]] = {}
        for post in self.posts:
            kept.setdefault(post["key"], post)
        return kept


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            found.posts.append(
                {"path": self.path, "key": self.headers.get("Idempotency-Key"), "body": body}
            )
            found.arrived.set()
            if self.path == "/hang" and len(found.posts) == 1:
                found.release.wait(30)
            status, answer = 200, {"errcode": 0, "errmsg": "ok"}
            if self.path == "/down":
                status, answer = 500, {"error": "receiver down"}
            elif self.path == "/refuse":
                answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.release.set()
    server.shutdown()
    server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[Message] = field(default_factory=list)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


CAST = (
    ("boss", "manager", "east"),
    ("li.na", "contributor", "east"),
    ("wang.fang", "contributor", "south"),
)


@pytest.fixture
def notify_settings(settings: Settings, mailbox: Mailbox) -> Settings:
    """Settings (SQLite and PostgreSQL) with SMTP on the test's server and quick retries."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "notify_retry_seconds": 0.0,
            "notify_max_attempts": 2,
            "notify_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
def notify_engine(notify_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(notify_settings)
    with transaction(engine) as session:
        for name, role, team in CAST:
            add_person(session, name, role=role, team=team)
    yield engine
    engine.dispose()
