"""Every HTTP request, timed once: a request id (the caller's X-Request-ID when it is a plain
token, else a new one; returned in the response), one log line (method, route template, status,
duration, request id, user name) and the request metrics by route template (never the raw path:
ids in paths would make a series per document)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id
from api.metrics import Metrics

logger = logging.getLogger("kb.request")
REQUEST_ID_HEADER = b"x-request-id"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started, rid)
            request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float, rid: str) -> None:
        method = scope.get("method", "")
        route = route_template(scope)
        self.metrics.observe_request(method, route, status, seconds)
        person = scope.get("state", {}).get("person")
        logger.info(
            "%s %s %d %.1f ms",
            method,
            route,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "request_id": rid,
                "user": getattr(person, "name", None),
            },
        )


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (`/documents/{source_id}`), or
    `unmatched` (a 404 for an unknown path)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


def _request_id(scope: Scope) -> str:
    for key, value in scope.get("headers") or []:
        if key == REQUEST_ID_HEADER:
            given = value.decode("latin-1")
            if _PLAIN_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex
