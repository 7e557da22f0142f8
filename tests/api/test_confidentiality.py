"""Confidential documents: only their owner, managers and grantees (people or teams) see them;
for anyone else they are absent from search, suggestions, listings and counts, and every
request by id answers 404 exactly as for a document that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Headers, assert_error, create, row_counts

SECRET_WORD = "zephyrquartz"
SECRET = {
    "title": "Pricing floor for 华东银行",
    "kind": "proposal",
    "customer": "华东银行",
    "industry": "金融",
    "text": f"## Solution\n\nThe {SECRET_WORD} discount floor is 18 percent for backup appliances.",
    "confidentiality": "confidential",
}


@pytest.fixture
def secret(client: TestClient, people: dict[str, Headers]) -> dict[str, Any]:
    """A confidential proposal owned by li.na, granted to zhang.wei by name and to no team."""
    doc = create(client, people["li.na"], **SECRET, grants=["zhang.wei"])
    update = client.put(
        f"/documents/{doc['id']}",
        headers=people["li.na"],
        json={"base_version": 1, "text": SECRET["text"] + "\n\nSecond draft."},
    )
    assert update.status_code == 200, update.text
    return doc


def _searchable(client: TestClient, headers: Headers) -> bool:
    response = client.post("/search", json={"query": SECRET_WORD}, headers=headers)
    assert response.status_code == 200, response.text
    return any(hit["title"] == SECRET["title"] for hit in response.json()["results"])


def _suggested(client: TestClient, headers: Headers) -> bool:
    response = client.post(
        "/suggestions", json={"text": f"{SECRET_WORD} discount floor"}, headers=headers
    )
    assert response.status_code == 200, response.text
    return any(s["title"] == SECRET["title"] for s in response.json()["suggestions"])


def _listed(client: TestClient, headers: Headers) -> tuple[int, bool]:
    response = client.get("/documents", params={"kind": "proposal"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["total"], any(d["title"] == SECRET["title"] for d in body["items"])


@pytest.mark.parametrize("user", ["li.na", "zhang.wei", "wang.min"])
def test_owner_grantee_and_manager_see_it_everywhere(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any], user: str
) -> None:
    headers = people[user]
    assert _searchable(client, headers)
    assert _suggested(client, headers)
    assert _listed(client, headers) == (1, True)
    for path in ("", "/versions", "/versions/1", "/diff?from=1&to=2"):
        assert client.get(f"/documents/{secret['id']}{path}", headers=headers).status_code == 200


@pytest.mark.parametrize("user", ["chen.jie", "zhao.lei"])
def test_others_do_not_find_it_in_search_suggestions_or_listings(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any], user: str
) -> None:
    headers = people[user]
    assert not _searchable(client, headers)
    assert not _suggested(client, headers)
    assert _listed(client, headers) == (0, False)
    by_title = client.get("/documents", params={"q": "Pricing floor"}, headers=headers).json()
    assert by_title["total"] == 0


def test_the_service_identity_does_not_find_it(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    assert not _searchable(client, people["proposal-tool"])
    assert not _suggested(client, people["proposal-tool"])


@pytest.mark.parametrize(
    "path",
    [
        "/documents/{ref}",
        "/documents/{ref}/versions",
        "/documents/{ref}/versions/1",
        "/documents/{ref}/diff?from=1&to=2",
    ],
)
def test_reading_it_by_id_is_404_like_a_missing_document(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any], path: str
) -> None:
    for ref in (secret["id"], secret["source_id"]):
        hidden = client.get(path.format(ref=ref), headers=people["chen.jie"])
        assert_error(hidden, 404, "not_found")
    missing = client.get(path.format(ref=999_999), headers=people["chen.jie"])
    assert_error(missing, 404, "not_found")
    assert hidden.json()["error"]["message"].replace(secret["source_id"], "X") == (
        missing.json()["error"]["message"].replace("999999", "X")
    )


def test_a_contributor_without_a_grant_cannot_update_it(
    client: TestClient, people: dict[str, Headers]
) -> None:
    doc = create(client, people["zhang.wei"], **SECRET)  # no grants: only zhang.wei and managers
    response = client.put(
        f"/documents/{doc['id']}",
        json={"base_version": 1, "text": "mine now"},
        headers=people["li.na"],
    )
    assert_error(response, 404, "not_found")


def test_reuse_of_it_by_the_service_is_404(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    hit = client.post("/search", json={"query": SECRET_WORD}, headers=people["li.na"])
    chunk_id = hit.json()["results"][0]["chunk_id"]
    service = people["proposal-tool"]
    by_doc = client.post(
        "/reuse", json={"document_id": secret["id"], "proposal_ref": "P-1"}, headers=service
    )
    assert_error(by_doc, 404, "not_found")
    by_chunk = client.post(
        "/reuse", json={"chunk_id": chunk_id, "proposal_ref": "P-1"}, headers=service
    )
    assert_error(by_chunk, 404, "not_found")


def test_a_team_grant_lets_the_team_see_it(client: TestClient, people: dict[str, Headers]) -> None:
    doc = create(client, people["zhang.wei"], **SECRET, grants=["team:华东售前"])
    assert client.get(f"/documents/{doc['id']}", headers=people["zhao.lei"]).status_code == 200
    assert _searchable(client, people["zhao.lei"])
    assert client.get(f"/documents/{doc['id']}", headers=people["chen.jie"]).status_code == 404
    assert not _searchable(client, people["chen.jie"])


def test_internal_documents_are_visible_to_every_reader(
    client: TestClient, people: dict[str, Headers]
) -> None:
    doc = create(client, people["li.na"], **{**SECRET, "confidentiality": "internal"})
    assert client.get(f"/documents/{doc['id']}", headers=people["chen.jie"]).status_code == 200
    assert _searchable(client, people["chen.jie"])


@pytest.mark.parametrize(
    "change",
    [
        {"confidentiality": "internal"},
        {"owner": "zhang.wei"},
        {"grants": ["zhang.wei", "chen.jie"]},
    ],
)
def test_a_grantee_cannot_change_who_may_see_it(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any], change: dict[str, Any]
) -> None:
    before = row_counts(client)
    response = client.put(
        f"/documents/{secret['id']}",
        json={"base_version": 2, **change},
        headers=people["zhang.wei"],
    )
    assert_error(response, 403, "forbidden")
    assert row_counts(client) == before
    assert not _searchable(client, people["chen.jie"])


def test_a_grantee_may_edit_the_text_and_the_owner_may_open_it_up(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    edit = client.put(
        f"/documents/{secret['id']}",
        json={
            "base_version": 2,
            "text": SECRET["text"] + "\n\nThird draft.",
            "confidentiality": "confidential",
        },
        headers=people["zhang.wei"],
    )
    assert edit.status_code == 200, edit.text
    opened = client.put(
        f"/documents/{secret['id']}",
        json={"base_version": 3, "confidentiality": "internal"},
        headers=people["li.na"],
    )
    assert opened.status_code == 200, opened.text
    assert _searchable(client, people["chen.jie"])


def test_contribution_counts_leave_out_what_the_caller_cannot_see(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    def created_by_li_na(headers: Headers) -> int:
        rows = client.get("/contributions", headers=headers).json()["rows"]
        return sum(r["documents_created"] for r in rows if r["person"] == "li.na")

    assert created_by_li_na(people["wang.min"]) == 1
    assert created_by_li_na(people["zhang.wei"]) == 1
    assert created_by_li_na(people["chen.jie"]) == 0


def test_reviewing_it_without_access_is_404(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    response = client.post(f"/documents/{secret['id']}/review", headers=people["chen.jie"])
    assert_error(response, 404, "not_found")


def test_opening_it_up_does_not_open_the_versions_written_while_confidential(
    client: TestClient, people: dict[str, Headers], secret: dict[str, Any]
) -> None:
    """Reclassified as internal with new text: its confidential past stays closed to others."""
    opened = client.put(
        f"/documents/{secret['id']}",
        json={"base_version": 2, "confidentiality": "internal", "text": "Public summary."},
        headers=people["li.na"],
    )
    assert opened.status_code == 200, opened.text
    path, reader, grantee = f"/documents/{secret['id']}", people["chen.jie"], people["zhang.wei"]
    assert client.get(path, headers=reader).json()["text"] == "Public summary."
    versions = client.get(f"{path}/versions", headers=reader).json()["versions"]
    assert [v["number"] for v in versions] == [3]
    assert_error(client.get(f"{path}/versions/1", headers=reader), 404, "not_found")
    assert_error(client.get(f"{path}/diff", headers=reader), 404, "not_found")
    history = client.post(
        "/search", json={"query": SECRET_WORD, "history": True}, headers=reader
    ).json()["results"]
    assert not any(SECRET_WORD in hit["snippet"] for hit in history)
    assert SECRET_WORD in client.get(f"{path}/versions/1", headers=grantee).json()["text"]
    grantee_history = client.post(
        "/search", json={"query": SECRET_WORD, "history": True}, headers=grantee
    ).json()["results"]
    assert any(SECRET_WORD in hit["snippet"].replace("**", "") for hit in grantee_history)


def test_taking_its_id_answers_409_without_confirming_the_document(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """An id in use answers the same 409 whatever holds it, seen or not: the answer says the
    id is taken and nothing about the document."""
    create(client, people["li.na"], **{**SECRET, "id": "secret/price-floor"})
    probe = {"title": "Probe", "kind": "product_note", "text": "x", "id": "secret/price-floor"}
    hidden = assert_error(
        client.post("/documents", json=probe, headers=people["zhang.wei"]), 409, "id_taken"
    )["message"]
    create(client, people["zhang.wei"], **{**probe, "id": "open/note"})
    seen = assert_error(
        client.post("/documents", json={**probe, "id": "open/note"}, headers=people["li.na"]),
        409,
        "id_taken",
    )["message"]
    assert hidden.replace("secret/price-floor", "ID") == seen.replace("open/note", "ID")
