"""Admission: at most KB_REQUEST_THREADS requests worked on at once, the rest waiting at the
door; slow senders and readers hold no place; health, metrics and uploads never wait.

The middleware is driven over ASGI with a small application of the test's own (it lets each
request finish when the test says), and once through a real server."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from api.admission import RequestAdmission
from api.metrics import Metrics, ReplicaState
from tests.api.servers import LiveServer


class HeldApp:
    """Answers each request once the test releases it; counts how many it works on at once."""

    def __init__(self) -> None:
        self.working = 0
        self.most_at_once = 0
        self.release = asyncio.Event()
        self.bodies: list[bytes] = []
        self.after_last_bytes = asyncio.Event()  # the app is still running after its answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.working += 1
        self.most_at_once = max(self.most_at_once, self.working)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        self.working -= 1
        await self.after_last_bytes.wait()


def http_scope(path: str = "/search", content_type: bytes = b"application/json") -> Scope:
    headers = [(b"content-type", content_type)]
    return {"type": "http", "method": "POST", "path": path, "headers": headers}


def body_in(*parts: bytes, finished: bool = True) -> Callable[[], Awaitable[Message]]:
    """A client sending `parts` as the body's messages (the last one marked last unless not
    `finished`), then waiting (never disconnecting)."""
    messages: list[Message] = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1 or not finished}
        for i, part in enumerate(parts)
    ]

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


def sink(sent: list[Message]) -> Send:
    async def send(message: Message) -> None:
        sent.append(message)

    return send


def metrics() -> Metrics:
    state = ReplicaState(True, 0, 0, None, None, 0, 0)
    return Metrics(read_state=lambda: state)


def gauge(admission: RequestAdmission, name: str) -> float | None:
    return admission.metrics.registry.get_sample_value(name)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_at_most_n_requests_are_worked_on_at_once_and_all_are_answered() -> None:
    async def scenario() -> None:
        app = HeldApp()
        admission = RequestAdmission(app, at_once=2, metrics=metrics())
        sent: list[Message] = []
        requests = [
            asyncio.create_task(admission(http_scope(), body_in(b"{}"), sink(sent)))
            for _ in range(5)
        ]
        await settle()
        assert app.working == 2
        assert gauge(admission, "kb_requests_in_progress") == 2
        assert gauge(admission, "kb_requests_waiting") == 3
        app.release.set()
        app.after_last_bytes.set()
        await asyncio.gather(*requests)
        assert app.most_at_once == 2
        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [200] * 5
        assert gauge(admission, "kb_requests_in_progress") == 0
        assert gauge(admission, "kb_requests_waiting") == 0

    asyncio.run(scenario())


def test_a_request_takes_its_place_only_once_its_whole_body_has_arrived() -> None:
    async def scenario() -> None:
        app = HeldApp()
        admission = RequestAdmission(app, at_once=1, metrics=metrics())
        sent: list[Message] = []
        slow_sender = asyncio.create_task(admission(http_scope(), slow_body(), sink(sent)))
        whole = asyncio.create_task(admission(http_scope(), body_in(b'{"a":', b"1}"), sink(sent)))
        await settle()
        assert app.working == 1  # the whole body's request, not the slow sender's
        assert app.bodies == [b'{"a":1}']
        app.release.set()
        app.after_last_bytes.set()
        await whole
        slow_sender.cancel()

    asyncio.run(scenario())


def slow_body() -> Callable[[], Awaitable[Message]]:
    """A client that sent the first part of its body and nothing since."""
    return body_in(b'{"query": "X-2', finished=False)


def test_the_place_is_left_when_the_last_bytes_go_out() -> None:
    """An app still running after its answer (a slow reader, work after the response) does not
    keep the next request waiting."""

    async def scenario() -> None:
        app = HeldApp()
        admission = RequestAdmission(app, at_once=1, metrics=metrics())
        sent: list[Message] = []
        app.release.set()
        first = asyncio.create_task(admission(http_scope(), body_in(b"{}"), sink(sent)))
        second = asyncio.create_task(admission(http_scope(), body_in(b"{}"), sink(sent)))
        await settle()
        assert not first.done()  # still after its last bytes
        assert len([m for m in sent if m["type"] == "http.response.start"]) == 2
        app.after_last_bytes.set()
        await asyncio.gather(first, second)

    asyncio.run(scenario())


def test_the_place_is_left_when_the_app_fails() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("broken")

    async def scenario() -> None:
        admission = RequestAdmission(failing, at_once=1, metrics=metrics())
        for _ in range(3):  # a place kept by a failure would make the second call wait forever
            with pytest.raises(RuntimeError, match="broken"):
                await asyncio.wait_for(admission(http_scope(), body_in(b"{}"), sink([])), 10)
        assert gauge(admission, "kb_requests_in_progress") == 0

    asyncio.run(scenario())


def test_health_metrics_and_uploads_never_wait() -> None:
    async def scenario() -> None:
        app = HeldApp()
        admission = RequestAdmission(app, at_once=1, metrics=metrics())
        held = asyncio.create_task(admission(http_scope(), body_in(b"{}"), sink([])))
        await settle()
        assert app.working == 1
        for scope in (
            http_scope("/health"),
            http_scope("/metrics"),
            http_scope("/documents/upload", b"multipart/form-data; boundary=x"),
        ):
            asyncio.create_task(admission(scope, body_in(b""), sink([])))
        await settle()
        assert app.working == 4
        app.release.set()
        app.after_last_bytes.set()
        await held

    asyncio.run(scenario())


def test_clients_stalled_mid_body_do_not_keep_others_from_a_real_server(live: LiveServer) -> None:
    """More clients than the server has places send half a body and stop; others are served."""
    host, port = live.base.removeprefix("http://").split(":")
    token = live.people["li.na"]["Authorization"]
    stalled = []
    try:
        for _ in range(live.context.settings.request_threads + 2):
            sock = socket.create_connection((host, int(port)), timeout=30)
            sock.sendall(
                b"POST /search HTTP/1.1\r\nHost: kb\r\nContent-Type: application/json\r\n"
                + f"Authorization: {token}\r\nContent-Length: 40\r\n\r\n".encode()
                + b'{"query": "X-2'
            )
            stalled.append(sock)
        with httpx.Client(base_url=live.base, timeout=30, headers=live.people["li.na"]) as http:
            answer = http.post("/search", json={"query": "X-200"})
            scraped = http.get("/metrics").text
        assert answer.status_code == 200, answer.text
        assert "kb_requests_waiting 0.0" in scraped  # the stalled ones wait for their bodies
    finally:
        for sock in stalled:
            sock.close()
