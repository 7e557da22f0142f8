"""Documents over HTTP: contribute, read, list, update with versions and diffs, delete, upload."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Headers, add_people, assert_error, context_of, create, row_counts

DATA = Path(__file__).resolve().parent.parent / "data"
QA = {
    "title": "SLA for DataHub Cloud",
    "kind": "qa",
    "question": "What availability does DataHub Cloud guarantee?",
    "text": "DataHub Cloud guarantees 99.9% monthly availability, with service credits.",
    "products": ["DataHub"],
    "tags": ["sla", "cloud"],
}


def test_contribute_and_read_back(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], **QA)
    assert saved["version"] == 1 and saved["changed"] is True
    assert re.fullmatch(r"api/sla-for-datahub-cloud-[0-9a-f]{8}", saved["source_id"])
    response = client.get(f"/documents/{saved['id']}", headers=people["chen.jie"])
    assert response.status_code == 200
    doc = response.json()
    assert doc["text"] == QA["text"]
    assert (doc["owner"], doc["author"], doc["kind"], doc["version"]) == ("li.na", "li.na", "qa", 1)
    assert doc["metadata"]["products"] == ["DataHub"]
    assert doc["viewed_at"] is not None
    by_source = client.get(f"/documents/{saved['source_id']}", headers=people["chen.jie"])
    assert by_source.json()["id"] == saved["id"]


def test_given_id_owner_and_chinese_title(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(
        client,
        people["li.na"],
        title="等保三级材料清单",
        text="需要提交的材料。",
        owner="zhang.wei",
    )
    assert saved["source_id"].startswith("api/等保三级材料清单-")
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert (doc["owner"], doc["author"], doc["language"]) == ("zhang.wei", "li.na", "zh")
    given = create(client, people["li.na"], id="qa/sla-datahub", **QA)
    assert given["source_id"] == "qa/sla-datahub"


@pytest.mark.parametrize(
    ("owner", "why"),
    [("nobody.here", "not a kb user"), ("chen.jie", "a reader"), ("proposal-tool", "a service")],
)
def test_an_owner_who_cannot_keep_the_document_is_refused(
    client: TestClient, people: dict[str, Headers], owner: str, why: str
) -> None:
    response = client.post("/documents", json={**QA, "owner": owner}, headers=people["li.na"])
    assert why in assert_error(response, 422, "invalid_input")["message"]
    saved = create(client, people["li.na"], **QA)
    update = {"base_version": 1, "owner": owner}
    response = client.put(f"/documents/{saved['id']}", json=update, headers=people["li.na"])
    assert why in assert_error(response, 422, "invalid_input")["message"]
    upload = client.post(
        "/documents/upload",
        files={"file": ("note.md", b"# Note\n\nText.", "text/markdown")},
        data={"owner": owner},
        headers=people["li.na"],
    )
    assert why in assert_error(upload, 422, "invalid_input")["message"]
    assert client.get("/documents", headers=people["li.na"]).json()["total"] == 1


def test_an_existing_or_numeric_id_is_refused(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(client, people["li.na"], id="qa/sla-datahub", **QA)
    before = row_counts(client)
    again = client.post("/documents", json={"id": "qa/sla-datahub", **QA}, headers=people["li.na"])
    assert_error(again, 409, "id_taken")
    numeric = client.post("/documents", json={"id": "42", **QA}, headers=people["li.na"])
    assert "digits" in assert_error(numeric, 422)["message"]
    assert row_counts(client) == before


def test_only_a_manager_creates_a_document_archived(
    client: TestClient, people: dict[str, Headers]
) -> None:
    before = row_counts(client)
    body = {"id": "qa/old", "status": "archived", **QA}
    refused = client.post("/documents", json=body, headers=people["li.na"])
    assert "manager" in assert_error(refused, 403, "forbidden")["message"]
    upload = client.post(
        "/documents/upload",
        files={"file": ("old.md", b"---\nstatus: archived\n---\nOld note.")},
        headers=people["li.na"],
    )
    assert_error(upload, 403, "forbidden")
    assert row_counts(client) == before
    assert create(client, people["wang.min"], **body)["version"] == 1
    got = client.get("/documents/qa/old", headers=people["wang.min"]).json()
    assert got["status"] == "archived"


def test_kind_rules_name_the_missing_field(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post(
        "/documents",
        headers=people["li.na"],
        json={"title": "Bank proposal", "kind": "proposal", "text": "x", "customer": "华东银行"},
    )
    assert "industry" in assert_error(response, 422, "invalid_document")["message"]


def test_update_keeps_history_and_diffs(client: TestClient, people: dict[str, Headers]) -> None:
    saved = create(client, people["li.na"], **QA)
    new_text = "DataHub Cloud guarantees 99.95% monthly availability, with service credits."
    response = client.put(
        f"/documents/{saved['id']}",
        headers=people["zhang.wei"],
        json={"base_version": 1, "text": new_text, "change_note": "new SLA"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    doc = client.get(f"/documents/{saved['id']}", headers=people["zhao.lei"]).json()
    assert doc["text"] == new_text and doc["version"] == 2
    assert doc["metadata"]["products"] == ["DataHub"]  # fields left out keep their values
    assert (doc["owner"], doc["author"], doc["change_note"]) == ("li.na", "zhang.wei", "new SLA")
    history = client.get(f"/documents/{saved['id']}/versions", headers=people["zhao.lei"]).json()
    assert [v["number"] for v in history["versions"]] == [1, 2]
    assert [v["author"] for v in history["versions"]] == ["li.na", "zhang.wei"]
    first = client.get(f"/documents/{saved['id']}/versions/1", headers=people["zhao.lei"]).json()
    assert first["text"] == QA["text"]
    diff = client.get(
        f"/documents/{saved['id']}/diff", params={"from": 1, "to": 2}, headers=people["zhao.lei"]
    ).json()["diff"]
    assert "-DataHub Cloud guarantees 99.9% " in diff and "+DataHub Cloud guarantees 99.95%" in diff
    missing = client.get(f"/documents/{saved['id']}/versions/7", headers=people["zhao.lei"])
    assert_error(missing, 404, "not_found")


def test_stale_base_version_is_409_with_the_current_version(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(client, people["li.na"], **QA)
    first = client.put(
        f"/documents/{saved['id']}",
        headers=people["li.na"],
        json={"base_version": 1, "text": "Edited by li.na."},
    )
    assert first.status_code == 200
    before = row_counts(client)
    lost = client.put(
        f"/documents/{saved['id']}",
        headers=people["zhang.wei"],
        json={"base_version": 1, "text": "Edited by zhang.wei."},
    )
    error = assert_error(lost, 409, "version_conflict")
    assert error["current_version"] == 2
    assert row_counts(client) == before
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert doc["text"] == "Edited by li.na."


def test_update_without_change_and_clearing_a_field(
    client: TestClient, people: dict[str, Headers]
) -> None:
    saved = create(client, people["li.na"], **QA)
    same = client.put(
        f"/documents/{saved['id']}",
        json={"base_version": 1, "text": QA["text"]},
        headers=people["li.na"],
    ).json()
    assert (same["version"], same["changed"]) == (1, False)
    cleared = client.put(
        f"/documents/{saved['id']}", json={"base_version": 1, "tags": None}, headers=people["li.na"]
    ).json()
    assert (cleared["version"], cleared["changed"]) == (2, True)
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert "tags" not in doc["metadata"] and doc["metadata"]["products"] == ["DataHub"]
    null_title = client.put(
        f"/documents/{saved['id']}",
        json={"base_version": 2, "title": None},
        headers=people["li.na"],
    )
    assert "title" in assert_error(null_title, 422)["message"]


def test_listing_filters_paginates_and_counts(
    client: TestClient, people: dict[str, Headers]
) -> None:
    create(client, people["li.na"], **QA)
    create(
        client, people["li.na"], title="X-200 backup appliance", products=["X-200"], tags=["backup"]
    )
    create(
        client,
        people["zhang.wei"],
        title="X-200 vs Huawei OceanProtect",
        kind="competitor_intel",
        competitor="Huawei",
        source="客户访谈",
        observed="2025-03-01",
        products=["X-200"],
    )
    headers = people["chen.jie"]

    def listing(**params: str | int) -> dict[str, Any]:
        response = client.get("/documents", params=params, headers=headers)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    assert listing()["total"] == 3
    assert listing(product="x-200")["total"] == 2
    assert listing(competitor="Huawei")["total"] == 1
    assert listing(kind="qa", tag="sla")["items"][0]["title"] == QA["title"]
    assert listing(owner="zhang.wei")["total"] == 1
    assert listing(q="backup")["total"] == 1
    assert listing(q="X_200")["total"] == 0  # `_` and `%` are literal, not wildcards
    assert listing(q="%")["total"] == 0
    page = listing(limit=2, offset=2)
    assert (page["total"], len(page["items"])) == (3, 1)
    assert_error(client.get("/documents", params={"limit": 201}, headers=headers), 422)
    assert_error(client.get("/documents", params={"kind": "memo"}, headers=headers), 422)


def test_delete_and_archive(client: TestClient, people: dict[str, Headers]) -> None:
    gone = create(client, people["li.na"], **QA)
    kept = create(client, people["li.na"], title="X-200 backup appliance")
    deleted = client.delete(f"/documents/{gone['id']}", headers=people["wang.min"])
    assert deleted.json() == {
        "id": gone["id"],
        "status": "deleted",
        "changed": True,
        "seq": kept["seq"] + 1,  # the delete is the next change of the log
    }
    assert_error(client.get(f"/documents/{gone['id']}", headers=people["li.na"]), 404)
    manager_view = client.get(f"/documents/{gone['id']}", headers=people["wang.min"]).json()
    assert manager_view["status"] == "deleted"
    archived = client.post(f"/documents/{kept['id']}/archive", headers=people["wang.min"])
    assert archived.json()["status"] == "archived"
    listed = client.get("/documents", headers=people["li.na"]).json()
    assert [d["status"] for d in listed["items"]] == ["archived"]
    hits = client.post(
        "/search", json={"query": "DataHub availability"}, headers=people["li.na"]
    ).json()["results"]
    assert hits == []
    assert_error(client.delete("/documents/999999", headers=people["wang.min"]), 404)
    again = client.post("/documents", json={**QA, "id": gone["source_id"]}, headers=people["li.na"])
    assert "already taken" in assert_error(again, 409, "id_taken")["message"]


MARKDOWN = """---
kind: qa
question: Does X-200 support immutable snapshots?
products: [X-200]
---
Yes. X-200 keeps immutable snapshots for up to 90 days.
"""


def test_upload_markdown(client: TestClient, people: dict[str, Headers]) -> None:
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": ("x200-snapshots.md", MARKDOWN.encode(), "text/markdown")},
        data={"confidentiality": "public", "change_note": "from the wiki"},
    )
    assert response.status_code == 201, response.text
    [saved] = response.json()["documents"]
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert (doc["kind"], doc["confidentiality"], doc["owner"]) == ("qa", "public", "li.na")
    assert doc["change_note"] == "from the wiki"
    assert doc["metadata"]["question"] == "Does X-200 support immutable snapshots?"


def test_upload_of_competitor_intel_carries_its_fields_as_metadata(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """A Word or text file has no front matter: the kind's own fields come in `metadata`."""
    intel = {"competitor": "华为云", "source": "客户访谈", "observed": "2026-11-02"}
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": ("huawei.txt", "华为云 DataArts 报价下调三成。".encode(), "text/plain")},
        data={
            "kind": "competitor_intel",
            "title": "华为云 DataArts 降价",
            "metadata": json.dumps(intel, ensure_ascii=False),
        },
    )
    assert response.status_code == 201, response.text
    [saved] = response.json()["documents"]
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert (doc["kind"], doc["title"]) == ("competitor_intel", "华为云 DataArts 降价")
    assert {k: doc["metadata"][k] for k in intel} == intel


def test_one_file_per_upload(client: TestClient, people: dict[str, Headers]) -> None:
    before = row_counts(client)
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files=[
            ("file", ("a.md", MARKDOWN.encode(), "text/markdown")),
            ("file", ("b.txt", b"Second file.", "text/plain")),
        ],
    )
    assert "one file per upload" in assert_error(response, 422, "invalid_input")["message"]
    assert row_counts(client) == before


@pytest.mark.parametrize("given", ["notes/versions", "x/diff", "y/review", "z/archive"])
def test_an_id_that_would_read_as_an_api_path_is_refused(
    client: TestClient, people: dict[str, Headers], given: str
) -> None:
    response = client.post("/documents", json={**QA, "id": given}, headers=people["li.na"])
    assert "ends like an API path" in assert_error(response, 422, "invalid_document")["message"]


def test_nul_characters_are_dropped(client: TestClient, people: dict[str, Headers]) -> None:
    """PostgreSQL cannot store NUL in text; it never carries meaning in a document."""
    saved = create(client, people["li.na"], **{**QA, "text": "Ninety-nine\u0000 point nine."})
    doc = client.get(f"/documents/{saved['id']}", headers=people["li.na"]).json()
    assert doc["text"] == "Ninety-nine point nine."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": "red"}, "unknown form field(s) colour"),
        ({"metadata": "{not json"}, "metadata: "),
        ({"metadata": '{"competitr": "x"}'}, "metadata: competitr: Extra inputs"),
        ({"metadata": '{"observed": "yesterday"}'}, "metadata: observed: "),
    ],
)
def test_bad_upload_form_fields_are_422_and_write_nothing(
    client: TestClient, people: dict[str, Headers], data: dict[str, str], message: str
) -> None:
    before = row_counts(client)
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": ("x200-snapshots.md", MARKDOWN.encode(), "text/markdown")},
        data=data,
    )
    assert message in assert_error(response, 422, "invalid_input")["message"]
    assert row_counts(client) == before


def test_upload_csv_makes_one_document_per_row(
    client: TestClient, people: dict[str, Headers]
) -> None:
    data = (
        "question,answer,products\n是否支持国产化？,支持麒麟和统信。,X-200\nSLA?,99.9%.,DataHub\n"
    )
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": ("faq.csv", data.encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    documents = response.json()["documents"]
    assert [d["kind"] for d in documents] == ["qa", "qa"]
    assert len({d["source_id"] for d in documents}) == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("proposal.docx", (DATA / "corrupt.docx").read_bytes(), "proposal.docx"),
        ("rows.csv", (DATA / "qa_rows_missing_values.csv").read_bytes(), "rows.csv"),
        ("lines.jsonl", (DATA / "jsonl_with_bad_lines.jsonl").read_bytes(), "lines.jsonl"),
        ("notes.xyz", b"hello", "unsupported"),
        ("empty.md", b"", "empty.md"),
    ],
)
def test_a_bad_upload_is_422_naming_the_file_and_writes_nothing(
    client: TestClient, people: dict[str, Headers], name: str, content: bytes, expected: str
) -> None:
    before = row_counts(client)
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": (name, content, "application/octet-stream")},
    )
    assert expected in assert_error(response, 422)["message"]
    assert row_counts(client) == before


def test_an_oversize_upload_is_413(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_file_bytes=100)
    people = add_people(context_of(client))
    before = row_counts(client)
    response = client.post(
        "/documents/upload",
        headers=people["li.na"],
        files={"file": ("big.md", b"# Big\n\n" + b"x" * 200, "text/markdown")},
    )
    assert "KB_MAX_FILE_BYTES" in assert_error(response, 413, "payload_too_large")["message"]
    assert row_counts(client) == before


def test_a_near_duplicate_contribution_is_flagged(
    client: TestClient, people: dict[str, Headers]
) -> None:
    first = create(client, people["li.na"], **QA)
    second = create(client, people["zhang.wei"], **{**QA, "title": "DataHub Cloud SLA"})
    assert [d["document_id"] for d in second["near_duplicates"]] == [first["id"]]
    assert json.dumps(second)  # plain JSON
    intel = {
        "kind": "competitor_intel",
        "competitor": "华为云",
        "source": "客户访谈",
        "observed": "2026-11-02",
        "text": "华为云 DataArts 在城商行项目报价下调约三成，"
        "并与 GaussDB 打包销售，交付周期承诺六周。",
    }
    chinese = create(client, people["li.na"], title="华为云报价下调", **intel)
    copy = {**intel, "text": intel["text"].replace("约三成", "三成左右")}
    again = create(client, people["zhang.wei"], title="华为云 DataArts 降价", **copy)
    assert [d["document_id"] for d in again["near_duplicates"]] == [chinese["id"]]
