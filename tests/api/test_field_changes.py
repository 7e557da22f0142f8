"""History and diffs show field changes (tags, owner, confidentiality, status), not only text;
restoring an archived document is a recorded status change."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Headers, create


def test_diff_of_a_tags_only_change_names_the_tags(
    client: TestClient, people: dict[str, Headers]
) -> None:
    doc = create(client, people["li.na"], title="Backup sizing", tags=["backup", "draft"])
    update = {"base_version": 1, "tags": ["backup", "rfp"], "confidentiality": "confidential"}
    assert client.put(f"/documents/{doc['id']}", json=update, headers=people["wang.min"]).json()[
        "changed"
    ]
    diff = client.get(f"/documents/{doc['id']}/diff?from=1&to=2", headers=people["li.na"]).json()
    assert diff["diff"] == ""
    changes = {c["field"]: c for c in diff["changes"]}
    assert set(changes) == {"tags", "confidentiality"}
    assert (changes["tags"]["added"], changes["tags"]["removed"]) == (["rfp"], ["draft"])
    assert (changes["confidentiality"]["before"], changes["confidentiality"]["after"]) == (
        "internal",
        "confidential",
    )


def test_history_lists_changes_per_version_and_the_events(
    client: TestClient, people: dict[str, Headers]
) -> None:
    manager = people["wang.min"]
    doc = create(client, people["li.na"], title="Pricing note", text="Old price.")
    path = f"/documents/{doc['id']}"
    client.put(path, json={"base_version": 1, "owner": "zhang.wei"}, headers=manager)
    client.put(path, json={"base_version": 2, "text": "New price."}, headers=manager)
    assert client.post(f"{path}/archive", headers=manager).json()["changed"] is True
    history = client.get(f"{path}/versions", headers=people["li.na"]).json()
    changes = [[c["field"] for c in v["changes"]] for v in history["versions"]]
    assert changes == [[], ["owner"], []]  # version 3 changed the text only
    owner = history["versions"][1]["changes"][0]
    assert (owner["before"], owner["after"]) == ("li.na", "zhang.wei")
    assert [(e["action"], e["actor"], e["detail"]) for e in history["events"]] == [
        ("archive", "wang.min", {"from": "active", "to": "archived"})
    ]


def test_restoring_an_archived_document_by_put_or_restore(
    client: TestClient, people: dict[str, Headers]
) -> None:
    manager = people["wang.min"]
    for how in ("put", "restore"):
        doc = create(client, people["li.na"], title=f"Archived then back ({how})")
        path = f"/documents/{doc['id']}"
        client.post(f"{path}/archive", headers=manager)
        if how == "put":
            response = client.put(
                path, json={"base_version": 1, "status": "active"}, headers=manager
            )
        else:
            response = client.post(f"{path}/restore", headers=manager)
        assert response.status_code == 200 and response.json()["changed"] is True
        current = client.get(path, headers=people["li.na"]).json()
        assert (current["status"], current["version"]) == ("active", 1)
        events = client.get(f"{path}/versions", headers=manager).json()["events"]
        assert [e["action"] for e in events] == ["archive", "restore"]
        assert events[-1]["detail"] == {"from": "archived", "to": "active"}
        hits = client.post("/search", json={"query": f"Archived then back {how}"}, headers=manager)
        assert doc["id"] in [h["document_id"] for h in hits.json()["results"]]
    again = client.post(f"/documents/{doc['id']}/restore", headers=manager)
    assert again.json()["changed"] is False
