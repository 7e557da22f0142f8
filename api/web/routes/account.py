"""Signing in and out, the interface language, and setting a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ContextDep, SessionDep
from api.web.messages import LANGUAGES
from api.web.pages import page_router, redirect, render, safe_next
from api.web.session import CsrfChecked, OptionalPerson, PageReader, SignInThrottle, start_session
from kb.credentials import set_password, sign_in
from kb.db import transaction
from kb.errors import InvalidInput, KBError, TooManyAttempts, Unauthorized
from kb.models import Person
from kb.people import issue_token

router = page_router()


def throttle(request: Request) -> SignInThrottle:
    found: SignInThrottle = request.app.state.signin_throttle
    return found


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, person: OptionalPerson, next: str = "/") -> Response:
    if person is not None:
        return redirect(safe_next(next))
    return render(request, "signin.html", next=safe_next(next), name="", error=None)


@router.post("/signin", dependencies=[CsrfChecked])
def signin(
    request: Request,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    secret: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    address = request.client.host if request.client else "unknown"
    limiter = throttle(request)
    try:
        limiter.check(name, address)
        person = sign_in(session, name, secret)
    except (Unauthorized, TooManyAttempts) as exc:
        if isinstance(exc, Unauthorized):
            limiter.failed(name, address)
        return render(
            request, "signin.html", status=exc.status, next=safe_next(next), name=name, error=exc
        )
    limiter.succeeded(name)
    start_session(request, person)
    return redirect(safe_next(next))


@router.post("/signout", dependencies=[CsrfChecked])
def signout(request: Request) -> Response:
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return redirect("/signin")


@router.post("/language", dependencies=[CsrfChecked])
def choose_language(
    request: Request,
    context: ContextDep,
    person: OptionalPerson,
    language: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Remembered on the person's record when signed in, else in the session."""
    if language not in LANGUAGES:
        raise InvalidInput(f"unknown language '{language}'; use one of {', '.join(LANGUAGES)}")
    request.session["lang"] = language
    if person is not None:
        with transaction(context.engine) as session:
            session.get_one(Person, person.id).language = language
    return redirect(safe_next(next))


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, person: PageReader) -> HTMLResponse:
    return render(request, "account.html", error=None, done=False, token=None)


@router.post("/account/token", dependencies=[CsrfChecked])
def new_token(request: Request, context: ContextDep, person: PageReader) -> Response:
    """A new bearer token for the signed-in person, shown once; the old one stops working
    (and so do their other sessions)."""
    with transaction(context.engine) as session:
        token = issue_token(session, person.name)
        renewed = session.get_one(Person, person.id)
    start_session(request, renewed)
    return render(request, "account.html", error=None, done=False, token=token)


@router.post("/account/password", dependencies=[CsrfChecked])
def change_password(
    request: Request,
    context: ContextDep,
    person: PageReader,
    current: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    confirm: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Needs the current token or password; other sessions of the person end."""
    try:
        with transaction(context.engine) as session:
            signed_in = sign_in(session, person.name, current)
            if password != confirm:
                raise InvalidInput("the two new passwords differ")
            set_password(session, signed_in, password)
    except KBError as exc:
        return render(request, "account.html", status=exc.status, error=exc, done=False, token=None)
    start_session(request, signed_in)
    return render(request, "account.html", error=None, done=True, token=None)
