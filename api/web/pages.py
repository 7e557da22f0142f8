"""Rendering pages: the Jinja2 environment (autoescaping everywhere), the shared template
values, and the route class that turns errors into pages instead of JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.web.markdown import highlight, render_markdown
from api.web.messages import DEFAULT_LANGUAGE, LANGUAGES, translator
from api.web.session import SignInRequired, csrf_token
from kb.access import Action, permits
from kb.errors import InvalidInput, KBError

TEMPLATES = Path(__file__).parent / "templates"


def _day(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value[:10]
    return value.strftime("%Y-%m-%d")


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters.update(markdown=render_markdown, highlight=highlight, day=_day)


def language_of(request: Request) -> str:
    person = getattr(request.state, "person", None)
    chosen = (person.language if person is not None else None) or request.session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    language = language_of(request)
    person = getattr(request.state, "person", None)
    page = environment.get_template(template).render(
        t=translator(language),
        lang=language,
        person=person,
        may=lambda action: person is not None and permits(person.role, Action(action)),
        csrf=csrf_token(request),
        path=request.url.path,
        here=_here(request),
        **values,
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or a scheme) is followed after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


class PageRoute(APIRoute):
    """Errors on a page render as a page with the error's status; a request that is not
    signed in goes to the sign-in page and comes back afterwards."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return redirect("/signin?" + urlencode({"next": _here(request)}))
            except KBError as exc:
                return render(request, "error.html", status=exc.status, message=exc.message)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg')}"
                    for e in exc.errors()
                )
                error = InvalidInput(problems or "invalid request")
                return render(request, "error.html", status=422, message=error.message)

        return page_handler


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)
