"""Web sign-in: the signed session cookie's key, who is signed in, CSRF tokens, and the
throttle on failed sign-ins."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import Depends, Form, Request

from api.deps import SessionDep
from kb.access import Action, check_permitted
from kb.config import Settings
from kb.credentials import credential_stamp
from kb.errors import Forbidden, TooManyAttempts
from kb.models import Person

SESSION_COOKIE = "kb_session"
KEY_FILE = "session.key"


class SignInRequired(Exception):
    """Raised by page dependencies when nobody (or nobody valid any more) is signed in."""


def session_secret(settings: Settings) -> str:
    """KB_SESSION_SECRET, else a random key kept (mode 600) in the data folder."""
    if settings.session_secret:
        return settings.session_secret
    path = settings.home / KEY_FILE
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def start_session(request: Request, person: Person) -> None:
    """A fresh session for `person` (nothing carried over from before signing in)."""
    request.session.clear()
    request.session.update(
        uid=person.id,
        stamp=credential_stamp(person),
        at=int(time.time()),
        csrf=secrets.token_urlsafe(32),
    )


def signed_in_person(request: Request, session: SessionDep) -> Person | None:
    """The person this request's session belongs to, if it is still valid: the person is
    enabled, their token and password unchanged since, and the sign-in not too old."""
    data = request.session
    uid = data.get("uid")
    if not isinstance(uid, int):
        return None
    person = session.get(Person, uid)
    hours = request.app.state.context.settings.session_hours
    too_old = time.time() - float(data.get("at", 0)) > hours * 3600
    if (
        person is None
        or person.disabled
        or too_old
        or data.get("stamp") != credential_stamp(person)
    ):
        data.clear()
        return None
    request.state.person = person
    return person


async def form_of(request: Request) -> dict[str, str]:
    """The posted form as text, after the CSRF check."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    verify_csrf(request, values.get("csrf", ""))
    return values


FormValues = Annotated[dict[str, str], Depends(form_of)]
OptionalPerson = Annotated[Person | None, Depends(signed_in_person)]


def page_permitted(action: Action):  # type: ignore[no-untyped-def]
    """A dependency for pages: signed in (else a redirect to sign in) as someone kb.access
    permits `action`."""

    def check(person: OptionalPerson) -> Person:
        if person is None:
            raise SignInRequired()
        check_permitted(person.role, action)
        return person

    return check


PageReader = Annotated[Person, Depends(page_permitted(Action.read))]
PageContributor = Annotated[Person, Depends(page_permitted(Action.write))]
PageManager = Annotated[Person, Depends(page_permitted(Action.manage))]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def verify_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Every state-changing form carries the session's CSRF token."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, csrf):
        raise Forbidden(
            "this form expired or came from another site (CSRF check failed); "
            "reload the page and send it again"
        )


CsrfChecked = Depends(verify_csrf)


class SignInThrottle:
    """Failed sign-ins per name and per client address within a window; past the limit,
    sign-in is refused (429) until the oldest failure leaves the window."""

    def __init__(self, per_name: int = 5, per_address: int = 20, window_s: float = 900) -> None:
        self.limits = {"name": per_name, "address": per_address}
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[str, str]]:
        return [("name", name.strip().lower()), ("address", address)]

    def check(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(name, address):
                failures = self._failures[key]
                while failures and now - failures[0] > self.window_s:
                    failures.popleft()
                if len(failures) >= self.limits[key[0]]:
                    wait = int(self.window_s - (now - failures[0])) + 1
                    raise TooManyAttempts(
                        f"too many failed sign-ins; try again in {wait // 60 + 1} minutes"
                    )

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(name, address):
                self._failures[key].append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(("name", name.strip().lower()), None)
