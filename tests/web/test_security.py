"""Sign-in, sessions, CSRF, headers and escaping, through the app (TestClient, real SQLite)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import Context
from api.web.markdown import highlight, render_markdown
from api.web.messages import CATALOG_DIR
from kb.config import Settings
from kb.db import transaction
from kb.people import add_person, issue_token
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context


@pytest.fixture
def web(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, Context, str]]:
    context = make_context(Settings(home=tmp_path / "kb"), embedder)
    with transaction(context.engine) as session:
        _, token = add_person(session, "li.na", role="contributor", team="east")
    yield TestClient(create_app(context=context)), context, token
    context.engine.dispose()


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def sign_in(client: TestClient, name: str, secret: str) -> int:
    data = {"csrf": csrf_of(client), "name": name, "secret": secret, "next": "/"}
    return client.post("/signin", data=data, follow_redirects=False).status_code


def test_pages_send_security_headers_and_a_signed_httponly_cookie(web: tuple) -> None:
    client, _, token = web
    response = client.get("/signin")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "same-origin"
    data = {"csrf": csrf_of(client), "name": "li.na", "secret": token, "next": "/"}
    signed_in = client.post("/signin", data=data, follow_redirects=False)
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert "; secure" not in cookie  # KB_SESSION_COOKIE_SECURE is off: loopback http works


def test_the_cookie_is_secure_when_the_setting_says_so(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    context = make_context(Settings(home=tmp_path / "kb", session_cookie_secure=True), embedder)
    with transaction(context.engine) as session:
        _, token = add_person(session, "li.na", role="contributor")
    client = TestClient(create_app(context=context), base_url="https://testserver")
    data = {"csrf": csrf_of(client), "name": "li.na", "secret": token, "next": "/"}
    cookie = client.post("/signin", data=data, follow_redirects=False).headers["set-cookie"]
    assert "; secure" in cookie.lower()
    context.engine.dispose()


def test_an_unknown_page_is_a_page_and_an_unknown_api_path_stays_json(web: tuple) -> None:
    client, _, _ = web
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/no-such-page", headers=browser)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'id="error-message"' in page.text and "此地址没有页面" in page.text
    for path, headers in (("/analytics/no-such", browser), ("/no-such-page", {})):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_a_form_without_the_csrf_token_is_refused(web: tuple) -> None:
    client, _, token = web
    assert sign_in(client, "li.na", token) == 303
    response = client.post("/signout", data={"csrf": "forged"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_failed_sign_ins_are_rate_limited(web: tuple) -> None:
    client, _, token = web
    for _ in range(5):
        assert sign_in(client, "li.na", "kb_wrong") == 401
    assert sign_in(client, "li.na", token) == 429  # even the right token waits


def test_a_password_signs_in_and_a_new_token_ends_old_sessions(web: tuple) -> None:
    client, context, token = web
    assert sign_in(client, "li.na", token) == 303
    form = {"csrf": csrf_of(client, "/account"), "current": token}
    short = client.post("/account/password", data={**form, "password": "short", "confirm": "short"})
    assert short.status_code == 422 and "10 characters" in short.text
    password = "correct horse battery"
    done = client.post(
        "/account/password", data={**form, "password": password, "confirm": password}
    )
    assert done.status_code == 200 and "password-set" in done.text
    other = TestClient(client.app)
    assert sign_in(other, "li.na", password) == 303
    rotated = client.post("/account/token", data={"csrf": csrf_of(client, "/account")})
    new_token = re.search(r"<code>(kb_[^<]+)</code>", rotated.text)
    assert new_token is not None and client.get("/", follow_redirects=False).status_code == 200
    assert other.get("/", follow_redirects=False).status_code == 303  # back to sign-in
    assert sign_in(TestClient(client.app), "li.na", token) == 401  # the old token is gone
    with transaction(context.engine) as session:
        issue_token(session, "li.na")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_markdown_renders_raw_html_and_script_links_inert() -> None:
    html = render_markdown(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) [y](JaVaScript:alert(1)) "
        "<img src=x onerror=alert(1)> [ok](https://example.com)"
    )
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html.lower()  # left as text, never a link
    assert 'href="https://example.com"' in html
    assert str(highlight("a **<b>b</b>** c")) == "a <mark>&lt;b&gt;b&lt;/b&gt;</mark> c"


def test_both_catalogs_hold_the_same_messages() -> None:
    zh = json.loads((CATALOG_DIR / "zh.json").read_text("utf-8"))
    en = json.loads((CATALOG_DIR / "en.json").read_text("utf-8"))
    assert set(zh) == set(en) and all(zh.values()) and all(en.values())
