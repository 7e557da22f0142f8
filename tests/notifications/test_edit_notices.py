"""The owner hears of another person's edit whatever path wrote it (a PUT, `kb ingest` of a
changed file), over a real server and a real webhook receiver; the set-up's imports and the
owner's own edits tell nobody (an edit the owner accepted: test_edits_by_others)."""

from __future__ import annotations

from pathlib import Path

import httpx

from kb.dispatch import dispatch
from tests.api.servers import LiveServer
from tests.notifications.conftest import Receiver

NOTE = (
    "---\nid: qa-sla\nkind: qa\nowner: li.na\nquestion: 故障响应时间？\ntags: [{tags}]\n---\n"
    "{answer}\n"
)


def test_the_owner_is_told_of_edits_by_others_through_every_path(
    live: LiveServer, receiver: Receiver, tmp_path: Path
) -> None:
    note = tmp_path / "qa-sla.md"

    def ingest(author: str, tags: str, answer: str) -> None:
        note.write_text(NOTE.format(tags=tags, answer=answer), encoding="utf-8")
        report, _ = live.context.ingest([note], author=author)
        assert report.failed == [] and report.document_ids

    hook = {"webhooks": [{"format": "json", "url": f"{receiver.url}/li.na"}]}
    with httpx.Client(base_url=live.base, timeout=120) as http:
        owner, other = live.people["li.na"], live.people["zhang.wei"]
        assert http.put("/notifications/preferences", json=hook, headers=owner).status_code == 200
        ingest("kb-import", "sla", "7x24 小时响应。")
        ingest("kb-import", "sla", "7x24 小时响应，4 小时到场。")  # the set-up's import: nobody
        ingest("zhang.wei", "sla, 金融", "7x24 小时响应，2 小时到场。")  # a changed file
        change = {"base_version": 3, "text": "7x24 小时响应，1 小时到场。"}
        assert http.put("/documents/qa-sla", json=change, headers=other).json()["version"] == 4
        own = {"base_version": 4, "text": "7x24 小时响应，1 小时到场（省会城市）。"}
        assert http.put("/documents/qa-sla", json=own, headers=owner).json()["version"] == 5
        files = {"file": ("qa-sla.md", note.read_bytes(), "text/markdown")}
        upload = http.post("/documents/upload", files=files, headers=other)
        assert upload.status_code == 409  # an upload never writes over a taken id
        report = dispatch(live.context.engine, live.context.settings)
        told = http.get("/notifications", headers=owner).json()["items"]
    assert report.sent == 2 and report.failed == 0
    assert [(n["topic"], n["status"]) for n in told] == [("edit_by_other", "sent")] * 2
    bodies = sorted(post["body"]["body"] for post in receiver.posts)
    assert [b.split(" of ")[0] for b in bodies] == [f"zhang.wei wrote version {n}" for n in (3, 4)]
    assert "tags: +金融" in bodies[0] and "text changed" in bodies[0]
    assert {post["body"]["subject"] for post in receiver.posts} == {"zhang.wei changed qa-sla"}
