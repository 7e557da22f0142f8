"""The web app served beside the API: server-rendered pages (Jinja2), our own small CSS and
JavaScript, Chinese and English message catalogs, and /docs with local assets."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from api.context import Context
from api.errors import http_error
from api.web.messages import translator
from api.web.pages import environment, language_of, render
from api.web.routes import (
    account,
    contribute_page,
    dashboard_page,
    document_page,
    draft_page,
    people_page,
    search_page,
    upload_page,
)
from api.web.security import SecurityHeaders
from api.web.session import SESSION_COOKIE, SignInThrottle, session_secret

STATIC = Path(__file__).parent / "static"
PAGES = (
    account,
    search_page,
    document_page,
    contribute_page,
    upload_page,
    draft_page,
    dashboard_page,
    people_page,
)


def install_web(app: FastAPI, context: Context) -> None:
    """Pages, static files, the signed session cookie and the security headers."""
    app.state.signin_throttle = SignInThrottle()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in PAGES:
        app.include_router(module.router)
    app.add_api_route("/docs", docs_page, include_in_schema=False, response_class=HTMLResponse)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(context.settings),
        session_cookie=SESSION_COOKIE,
        max_age=context.settings.session_hours * 3600,
        same_site="lax",
        https_only=context.settings.session_cookie_secure,
    )
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(404, page_not_found)


async def page_not_found(request: Request, exc: Exception) -> Response:
    """No route here: a browser asking for a page outside the API's paths gets a page; API
    paths and other clients keep the JSON error shape."""
    if not asks_for_page(request):
        return await http_error(request, exc)
    message = translator(language_of(request))("page_not_found")
    return render(request, "error.html", status=404, message=message)


def asks_for_page(request: Request) -> bool:
    """The client takes HTML and the path's first segment is none of the API's (those in the
    OpenAPI schema), e.g. `/doc/12/nope` but not `/documents/12/nope`."""
    if "text/html" not in request.headers.get("accept", ""):
        return False
    first = request.url.path.strip("/").split("/")[0]
    paths = request.app.openapi().get("paths", {})  # built once, then cached by FastAPI
    return first not in {path.strip("/").split("/")[0] for path in paths}


def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI from the assets fastapi-offline installs, started by our own script (the
    stock page starts it with an inline script, which the Content-Security-Policy forbids)."""
    return HTMLResponse(environment.get_template("docs.html").render(openapi_url="/openapi.json"))
