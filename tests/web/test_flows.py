"""The issue's flows, each in a real headless Chromium against a real server; each saves a
screenshot under tests/artifacts/."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.web.conftest import CONFIDENTIAL_TITLE, Site, screenshot, sign_in

ROLES = {"wang.min": "manager", "li.na": "contributor", "zhao.lei": "reader"}
ROLE_ZH = {"manager": "经理", "contributor": "贡献者", "reader": "读者"}


def test_sign_in_as_each_role_then_out(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/")
    assert "/signin" in page.url
    page.fill("#name", "li.na")
    page.fill("#secret", "kb_wrong")
    page.click("#signin-submit")
    assert page.locator("#signin-error").is_visible()
    for who, role in ROLES.items():
        sign_in(page, site, who)
        assert page.locator("#who").inner_text() == f"{who} · {ROLE_ZH[role]}"
        assert (page.locator("a[href='/dashboard']").count() == 1) == (role == "manager")
        assert (page.locator("a[href='/contribute']").count() == 1) == (role != "reader")
        cookie = next(c for c in page.context.cookies() if c["name"] == "kb_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
        screenshot(page, f"signin-{role}")
        page.click("#signout")
        page.wait_for_url(re.compile(r"/signin"))
        page.goto(f"{site.url}/dashboard")
        assert "/signin" in page.url


def test_the_language_choice_is_remembered_per_person(browser: Any, site: Site) -> None:
    first = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(first, site, "zhang.wei")
    assert first.locator("a[href='/']").nth(1).inner_text() == "搜索"  # Chinese by default
    first.click("button[name='language'][value='en']")
    first.wait_for_selector("text=Contribute")
    first.context.close()
    second = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(second, site, "zhang.wei")  # another browser: the choice comes from the person
    assert second.locator("html").get_attribute("lang") == "en"
    assert second.locator("a[href='/']").nth(1).inner_text() == "Search"
    screenshot(second, "english")
    second.click("button[name='language'][value='zh']")
    second.wait_for_selector("text=贡献")
    second.context.close()


def test_chinese_search_with_a_facet(page: Any, site: Site) -> None:
    sign_in(page, site, "li.na")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("华为云 报价")
    page.keyboard.press("Enter")
    page.wait_for_selector(".result")
    titles = page.locator(".result h2 a").all_inner_texts()
    assert "华为云 报价策略观察" in titles and "X-200 产品报价说明" in titles
    assert page.locator(".result mark").count() > 0
    kind_facet = page.locator("#facet-kind a", has_text="竞品情报")
    assert kind_facet.locator("xpath=..").locator(".count").inner_text() == "1"
    kind_facet.click()
    page.wait_for_selector(".chip")
    assert page.locator(".result h2 a").all_inner_texts() == ["华为云 报价策略观察"]
    query = parse_qs(urlparse(page.url).query)
    assert query["q"] == ["华为云 报价"] and query["kind"] == ["competitor_intel"]
    screenshot(page, "search-chinese-facet")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(page.url)  # the URL alone reproduces the search
    assert page.locator(".result h2 a").all_inner_texts() == ["华为云 报价策略观察"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "search-phone")


def test_open_a_document_and_diff_two_versions(page: Any, site: Site) -> None:
    doc = site.documents["x200"]
    with site.api("zhang.wei") as api:
        response = api.put(
            f"/documents/{doc['id']}",
            json={
                "base_version": 1,
                "text": "# X-200 报价\n\nX-200 标准版报价按节点计算，2026 年起含一年运维。",
                "industry": "制造",
            },
        )
        assert response.status_code == 200, response.text
    sign_in(page, site, "zhao.lei", f"/doc/{doc['id']}")
    assert page.locator("#doc-title").inner_text() == "X-200 产品报价说明"
    page.select_option("#from", "1")
    page.select_option("#to", "2")
    page.click("#compare")
    page.wait_for_selector("#text-diff")
    changed = page.locator("#text-diff tr.changed")
    assert changed.count() >= 1
    assert "含一年运维" in changed.first.locator("td.r").inner_text()
    fields = page.locator("#fields-diff").inner_text()
    assert "金融" in fields and "制造" in fields
    screenshot(page, "document-diff")


def test_an_edit_that_hits_a_conflict_is_merged(page: Any, site: Site) -> None:
    doc = site.documents["huawei"]
    sign_in(page, site, "li.na", f"/doc/{doc['id']}/edit")
    mine = "# 报价\n\n华为云 报价低于我们 15%。\n\n## 我的补充\n\n建议强调本地服务。"
    page.fill("#f-text", mine)
    with site.api("zhang.wei") as api:  # someone else saves first
        theirs = "# 报价\n\n华为云 报价低于我们 20%（2026-11 更新）。"
        response = api.put(f"/documents/{doc['id']}", json={"base_version": 1, "text": theirs})
        assert response.status_code == 200, response.text
    page.click("#save")
    page.wait_for_selector("#conflict")
    assert page.locator("#current-text").input_value() == theirs
    assert page.locator("#f-text").input_value() == mine  # nothing typed is lost
    screenshot(page, "edit-conflict")
    merged = theirs + "\n\n## 我的补充\n\n建议强调本地服务。"
    page.fill("#f-text", merged)
    page.click("#save")
    page.wait_for_selector("#doc-title")
    assert "建议强调本地服务" in page.locator("#doc-body").inner_text()
    assert "20%" in page.locator("#doc-body").inner_text()
    with site.api("li.na") as api:
        current = api.get(f"/documents/{doc['id']}").json()
    assert current["version"] == 3 and current["text"].strip() == merged


def test_an_upload_warns_of_a_near_duplicate(page: Any, site: Site, tmp_path: Any) -> None:
    stale = site.documents["stale"]
    copy = tmp_path / "datahub-deploy.md"
    copy.write_text("# 部署\n\nDataHub 3.x 部署需要三台服务器。\n", encoding="utf-8")
    sign_in(page, site, "li.na", "/upload")
    page.set_input_files("#f-file", str(copy))
    page.fill("#f-products", "DataHub")
    page.click("#upload")
    page.wait_for_selector("#near-duplicates")
    warning = page.locator("#near-duplicates")
    assert warning.locator(f"a[href='/doc/{stale['id']}']").count() >= 1
    assert page.locator("#f-products").input_value() == "DataHub"
    screenshot(page, "upload-near-duplicate")
    with site.api("li.na") as api:
        before = api.get("/documents", params={"q": "datahub-deploy"}).json()["total"]
    assert before == 0  # nothing stored before the choice
    page.click("#save-anyway")
    page.wait_for_selector("#doc-title")
    assert "DataHub" in page.locator("#doc-body").inner_text()


def test_dashboard_counts_equal_the_audit(page: Any, site: Site) -> None:
    with site.api("wang.min") as api:
        audit = api.get("/audit/freshness").json()["counts"]
    assert audit["stale"] >= 1
    sign_in(page, site, "wang.min", "/dashboard")
    shown = {
        status: int(page.locator(f"#freshness-counts [data-status='{status}']").inner_text())
        for status in audit
    }
    assert shown == audit
    assert page.locator("#chart-team svg rect").count() > 0
    assert "DataHub 旧版部署指南" in page.locator("#list-stale").inner_text()
    screenshot(page, "dashboard")


def test_hand_over_preview_then_commit_split(page: Any, site: Site) -> None:
    with site.api("wang.min") as api:
        owned = api.get("/documents", params={"owner": "zhang.wei"}).json()["items"]
    assert len(owned) >= 2
    sign_in(page, site, "wang.min", "/handover")
    page.select_option("#leaver", "zhang.wei")
    page.click("#preview")
    page.wait_for_selector("#handover-documents")
    rows = page.locator("#handover-documents tbody tr")
    assert rows.count() == len(owned)
    first = owned[0]["id"]
    page.select_option("#to", "wang.min")
    page.select_option(f"#to_{first}", "li.na")
    screenshot(page, "handover-preview")
    page.click("#commit-handover")
    page.wait_for_selector("#handover-done")
    with site.api("wang.min") as api:
        assert api.get("/documents", params={"owner": "zhang.wei"}).json()["total"] == 0
        to_li = {d["id"] for d in api.get("/documents", params={"owner": "li.na"}).json()["items"]}
        to_wang = api.get("/documents", params={"owner": "wang.min"}).json()["items"]
    assert first in to_li
    assert len(to_wang) == len(owned) - 1
    screenshot(page, "handover-done")


def test_the_xss_document_renders_inert(page: Any, site: Site) -> None:
    doc = site.documents["xss"]
    sign_in(page, site, "li.na", f"/doc/{doc['id']}")
    body = page.locator("#doc-body")
    assert body.locator("script, img, [onerror]").count() == 0
    assert "<script>alert('body')</script>" in body.inner_text()  # shown as text
    hrefs = [a.get_attribute("href") or "" for a in body.locator("a").all()]
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    assert page.locator("#doc-title").inner_text() == "XSS <script>alert('title')</script> note"
    page.goto(f"{site.url}/?q=XSS+note")
    page.wait_for_selector(".result")
    page.locator(".result h2 a").first.click()
    page.wait_for_selector("#doc-body")
    assert page.dialogs == []
    screenshot(page, "xss-inert")


def test_a_reader_never_sees_a_confidential_title(page: Any, site: Site) -> None:
    secret = site.documents["secret"]
    sign_in(page, site, "zhao.lei")
    seen: list[str] = []
    for path in (
        "/?q=华东银行 底价",
        "/?q=华为云 报价",
        "/?q=报价&history=true",
        "/?q=华东银行&industry=金融",
        f"/doc/{secret['id']}",
        f"/doc/{secret['id']}/diff",
        "/draft",
        "/dashboard",
    ):
        page.goto(f"{site.url}{path}")
        seen.append(page.content())
    page.goto(f"{site.url}/draft")
    page.fill("#d-text", "华东银行 报价 底价")
    page.click("#suggest")
    page.wait_for_selector("#suggestions")
    seen.append(page.content())
    screenshot(page, "reader-confidential")
    assert not any(CONFIDENTIAL_TITLE in html for html in seen)
    assert "华为云 报价策略观察" in seen[1]  # the searches themselves worked
    page.goto(f"{site.url}/doc/{secret['id']}")
    assert page.locator("#error-message").is_visible()
    screenshot(page, "not-found")  # the same page as any unknown address: it reveals nothing
    assert page.locator("a[href='/']").count() >= 1  # a way back


def test_a_web_edit_of_an_approved_qa_waits_for_its_owner(page: Any, site: Site) -> None:
    """The web edit page asks what PUT asks: in a team whose owners approve edits by others,
    another person's change to an approved Q&A waits as a pending edit."""
    qa = {"kind": "qa", "title": "驻场响应", "question": "到场时间？", "text": "4 小时到场。"}
    with site.api("wang.min") as api:
        doc = api.post("/documents", json={**qa, "owner": "zhang.wei"}).json()
        policy = {"owner_approves_qa_edits": True}
        assert api.put("/teams/华南售前/policy", json=policy).status_code == 200
    with site.api("zhang.wei") as api:
        assert api.post(f"/documents/{doc['id']}/review", json={}).status_code == 200
    sign_in(page, site, "li.na", f"/doc/{doc['id']}/edit")
    page.fill("#f-text", "2 小时到场。")
    page.click("#save")
    page.wait_for_selector("#doc-title")
    assert "4 小时到场" in page.locator("#doc-body").inner_text()  # the current one stays
    with site.api("zhang.wei") as api:
        current = api.get(f"/documents/{doc['id']}").json()
        [pending] = api.get(f"/documents/{doc['id']}/pending").json()["items"]
    assert (current["version"], current["approved"]) == (1, True)
    assert (pending["author"], pending["status"], pending["text"]) == (
        "li.na",
        "pending",
        "2 小时到场。",
    )
