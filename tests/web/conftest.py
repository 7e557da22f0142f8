"""Web pages in a real browser: one real uvicorn server per test module on an ephemeral port
over a small store (made through the HTTP API), and one headless Debian Chromium for the
session (Playwright drives it; it cannot download a browser of its own here)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.config import Settings
from kb.db import transaction
from kb.people import add_person
from search.embedder import SentenceTransformerEmbedder
from tests.api.servers import serve
from tests.conftest import make_context

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# name, role, team
CAST = (
    ("wang.min", "manager", "华东售前"),
    ("li.na", "contributor", "华东售前"),
    ("zhang.wei", "contributor", "华南售前"),
    ("zhao.lei", "reader", "华东售前"),
)
CONFIDENTIAL_TITLE = "华东银行底价机密方案"


@dataclass
class Site:
    url: str
    tokens: dict[str, str]
    documents: dict[str, dict[str, Any]]  # by a short name

    def api(self, who: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


SAMPLE: dict[str, dict[str, Any]] = {
    "huawei": {
        "kind": "competitor_intel",
        "title": "华为云 报价策略观察",
        "competitor": "华为云",
        "source": "客户访谈",
        "observed": "2026-10-20",
        "industry": "金融",
        "text": "# 报价\n\n华为云 在金融行业的报价通常低于我们 15%，并捆绑三年运维服务。\n\n"
        "## 应对\n\n强调 X-200 的国产化认证和本地交付团队。",
    },
    "x200": {
        "kind": "product_note",
        "title": "X-200 产品报价说明",
        "products": ["X-200"],
        "industry": "金融",
        "text": "# X-200 报价\n\nX-200 标准版报价按节点计算，华为云 同类产品没有本地化服务。",
    },
    "secret": {
        "kind": "proposal",
        "title": CONFIDENTIAL_TITLE,
        "customer": "华东银行",
        "industry": "金融",
        "confidentiality": "confidential",
        "text": "# 报价\n\n底价为 320 万元，华为云 报价 300 万元。",
    },
    "xss": {
        "kind": "product_note",
        "title": "XSS <script>alert('title')</script> note",
        "tags": ["<img src=x onerror=alert('tag')>"],
        "text": "# Unsafe\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert('img')>\n\n"
        "[click me](javascript:alert('link')) and <a href=\"javascript:alert(2)\">raw</a>",
    },
    "stale": {
        "kind": "product_note",
        "title": "DataHub 旧版部署指南",
        "products": ["DataHub"],
        "updated": "2024-01-10",
        "text": "# 部署\n\nDataHub 3.x 部署需要三台服务器。",
    },
}


def _owner_of(name: str) -> str:
    return {"secret": "li.na", "stale": "zhang.wei"}.get(name, "zhang.wei")


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web") / "kb"
    context = make_context(Settings(home=home), embedder)
    tokens: dict[str, str] = {}
    with transaction(context.engine) as session:
        for name, role, team in CAST:
            tokens[name] = add_person(session, name, role=role, team=team)[1]
    with serve(context) as url:
        built = Site(url, tokens, {})
        with built.api("wang.min") as api:
            for short, body in SAMPLE.items():
                response = api.post("/documents", json={**body, "owner": _owner_of(short)})
                assert response.status_code == 201, response.text
                built.documents[short] = response.json()
        yield built
    context.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) at a desktop size; dialogs are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    opened = context.new_page()
    opened.dialogs = []
    opened.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    context.close()


def sign_in(page: Any, site: Site, who: str, next_path: str = "/") -> None:
    page.goto(f"{site.url}{next_path}")
    page.fill("#name", who)
    page.fill("#secret", site.tokens[who])
    page.click("#signin-submit")
    page.wait_for_selector("#who")


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
