"""Admission: the server works on at most KB_REQUEST_THREADS requests at once; the rest wait.

The route threads were already bounded, but every admitted request also runs on the event loop
(parsing, validation, dependencies, the response) and takes a thread token twice (its
dependencies, then its route): with 64 requests in flight they took turns at each step, so each
one's work was spread out and cost more interpreter time. Waiting at the door costs nothing, so
a burst of clients is served as a few would be.

A request takes its place only once its body has arrived, and gives it up as its last bytes go
out: a client that sends or reads slowly never holds one. Health and metrics never wait (a
monitor sees a busy server answer), nor do file uploads (rare, streamed to disk, not buffered
here; the route threads still bound their work).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics

NEVER_WAIT = frozenset({"/health", "/metrics"})


class RequestAdmission:
    def __init__(self, app: ASGIApp, at_once: int, metrics: Metrics) -> None:
        self.app = app
        self.at_once = at_once
        self.metrics = metrics
        self._places: asyncio.Semaphore | None = None  # made on the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_WAIT or _is_upload(scope):
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        replay = iter(body)

        async def replayed_receive() -> Message:
            already_read = next(replay, None)
            return already_read if already_read is not None else await receive()

        place = _Place(self._semaphore(), self.metrics)
        await place.take()

        async def send_then_leave(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                place.leave()
            await send(message)

        try:
            await self.app(scope, replayed_receive, send_then_leave)
        finally:
            place.leave()

    def _semaphore(self) -> asyncio.Semaphore:
        if self._places is None:
            self._places = asyncio.Semaphore(self.at_once)
        return self._places


class _Place:
    """One request's place: taken once, left once (whichever comes first of its last bytes
    going out and the app returning)."""

    def __init__(self, places: asyncio.Semaphore, metrics: Metrics) -> None:
        self._places = places
        self._metrics = metrics
        self._held = False

    async def take(self) -> None:
        self._metrics.requests_waiting.inc()
        try:
            await self._places.acquire()
        finally:
            self._metrics.requests_waiting.dec()
        self._held = True
        self._metrics.requests_in_progress.inc()

    def leave(self) -> None:
        if self._held:
            self._held = False
            self._places.release()
            self._metrics.requests_in_progress.dec()


async def _whole_body(receive: Receive) -> list[Message]:
    """The request's body messages, read before the request takes a place (a body over
    KB_MAX_REQUEST_BYTES stops here: BodySizeLimit, outside, answers 413)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _is_upload(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            return value.lower().startswith(b"multipart/")
    return False
