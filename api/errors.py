"""One handler for every error: `{"error": {"code", "message"}}` with the error's status."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import KBError, VersionConflict

log = logging.getLogger("kb.api")


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. not_found, id_taken")
    message: str = Field(description="what went wrong and what to do about it")
    current_version: int | None = Field(
        None, description="on version_conflict: the version the document is at"
    )


class ErrorResponse(BaseModel):
    """Every error answer has this shape."""

    error: ErrorDetail


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def problems_of(errors: Iterable[Mapping[str, Any]]) -> str:
    """Validation errors as one message: `items.0.section_type: Input should be ...; ...`."""
    problems = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {error.get('msg')}")
    return "; ".join(problems) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KBError)
    async def domain_error(_request: Request, exc: KBError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, VersionConflict):
            extra["current_version"] = exc.current_version
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            error_body(exc.code, exc.message, **extra), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_input", problems_of(exc.errors())), status_code=422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(UnexpectedErrors)


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (no such route, wrong method) in the error shape."""
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        error_body(HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail)),
        status_code=exc.status_code,
    )


class UnexpectedErrors:
    """An unexpected exception becomes a logged 500 in the error shape, and goes no further.

    Starlette's own catch-all answers too but then re-raises, and uvicorn closes the
    connection on an exception: the client's next request on that keep-alive connection would
    be reset. Caught here, inside the app, the connection stays usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for an error response: the connection must go
                raise
            response = JSONResponse(
                error_body(
                    "internal_error", f"unexpected error ({type(exc).__name__}); see the log"
                ),
                status_code=500,
            )
            await response(scope, receive, send)
