"""create_app: the FastAPI application over one data folder."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from api.context import Context
from api.deps import only_known_query_parameters
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.routes import (
    document_writes,
    documents,
    drafts,
    glossary,
    governance,
    health,
    reuse,
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
    app: FastAPI = FastAPIOffline(  # Swagger UI's assets served locally (no CDN)
        docs_url=None,
        redoc_url=None,
        static_url="/static-offline-docs",
        title="kb",
        version=VERSION,
        description="Knowledge base for presales teams: search, reuse suggestions, "
        "contributions and freshness audits.",
        dependencies=[Depends(only_known_query_parameters)],
    )
    app.state.context = context
    app.add_middleware(BodySizeLimit, max_bytes=context.settings.max_request_bytes)
    install_error_handlers(app)
    routers = (
        health,
        search,
        documents,
        document_writes,
        suggestions,
        reuse,
        drafts,
        glossary,
        governance,
        users,
    )
    for module in routers:
        app.include_router(module.router)
    install_web(app, context)
    return app
