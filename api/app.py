"""create_app: the FastAPI application over one data folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from api.admission import RequestAdmission
from api.context import Context
from api.deps import only_known_query_parameters
from api.error_answers import EVERY_ROUTE, errors, install_error_answers
from api.errors import install_error_handlers
from api.idempotency import install_replays
from api.limits import BodySizeLimit
from api.request_log import RequestObserver
from api.routes import (
    analytics,
    document_writes,
    documents,
    drafts,
    edits,
    glossary,
    governance,
    health,
    metrics,
    notifications,
    reuse,
    reviews,
    search,
    suggestions,
    users,
)
from api.web import install_web
from kb import __version__
from kb.config import Settings

VERSION = __version__  # from the package metadata (pyproject.toml)


def create_app(settings: Settings | None = None, context: Context | None = None) -> FastAPI:
    context = context or Context(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Routes run in worker threads; at most KB_REQUEST_THREADS at once, so together they
        # never hold more database connections than the pool has (KB_DB_POOL_SIZE).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = context.settings.request_threads
        context.start_following()  # loads the indexes, then follows the change log
        try:
            yield
        finally:
            context.stop_following()

    app: FastAPI = FastAPIOffline(  # Swagger UI's assets served locally (no CDN)
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        static_url="/static-offline-docs",
        title="kb",
        version=VERSION,
        description="Knowledge base for presales teams: search, reuse suggestions, "
        "contributions and freshness audits.",
        dependencies=[Depends(only_known_query_parameters)],
        responses=errors(*EVERY_ROUTE),
    )
    app.state.context = context
    app.add_middleware(
        RequestAdmission, at_once=context.settings.request_threads, metrics=context.metrics
    )
    app.add_middleware(BodySizeLimit, max_bytes=context.settings.max_request_bytes)
    install_error_handlers(app)
    install_replays(app)
    routers = (
        health,
        metrics,
        search,
        reviews,
        edits,
        documents,
        document_writes,
        suggestions,
        reuse,
        drafts,
        glossary,
        governance,
        users,
        notifications,
        analytics,
    )
    for module in routers:
        app.include_router(module.router)
    install_error_answers(
        app, (r for m in routers for r in m.router.routes if isinstance(r, APIRoute))
    )
    install_web(app, context)
    app.add_middleware(RequestObserver, metrics=context.metrics)  # outermost: times it all
    return app
