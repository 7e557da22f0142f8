"""The `kb` commands of the review workflow, people and history, run in-process on a real
data folder."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

import api.commands
from api.app import create_app
from api.cli import app, main
from api.commands import context as command_context
from api.context import Context
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context

NOTE = (
    "---\nid: note-1\nkind: product_note\nowner: li.na\ntags: [{tags}]\n---\n"
    "# DataHub\n\nDataHub.\n"
)


@pytest.fixture
def cli_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> Iterator[Context]:
    """The context every command module in api.commands uses: a fresh data folder."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    ctx = make_context(Settings(), embedder)
    for info in pkgutil.iter_modules(api.commands.__path__):
        module = importlib.import_module(f"api.commands.{info.name}")
        if hasattr(module, "context"):
            monkeypatch.setattr(module, "context", lambda: ctx)
    monkeypatch.setattr(command_context, "context", lambda: ctx)
    yield ctx
    ctx.engine.dispose()


@pytest.fixture
def kb(cli_context: Context) -> CliRunner:
    """A runner whose commands use cli_context."""
    return CliRunner()


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run through `main` (as the installed command does): a domain error exits 1 with a
    message on stderr, which is returned."""
    with pytest.raises(SystemExit) as stop:
        main(list(args))
    assert stop.value.code == 1
    return capsys.readouterr().err


def test_diff_and_history_show_field_changes(kb: CliRunner, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(NOTE.format(tags="a, b"), encoding="utf-8")
    run(kb, "ingest", str(note))
    note.write_text(NOTE.format(tags="b, c"), encoding="utf-8")
    run(kb, "ingest", str(note))
    code, out, _ = run(kb, "diff", "note-1", "1", "2")
    assert code == 0 and out.strip() == "tags: +c -a"
    changes = json.loads(run(kb, "diff", "note-1", "1", "2", "--json")[1])["changes"]
    assert changes == [
        {
            "field": "tags",
            "before": ["a", "b"],
            "after": ["b", "c"],
            "added": ["c"],
            "removed": ["a"],
        }
    ]
    assert "tags: +c -a" in run(kb, "history", "note-1")[1]


def test_restore_an_archived_document(kb: CliRunner, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(NOTE.format(tags="a").replace("owner: li.na", "status: archived"), "utf-8")
    run(kb, "ingest", str(note))
    code, out, _ = run(kb, "restore", "note-1", "--as", "boss")
    assert code == 0 and "restored note-1" in out
    history = json.loads(run(kb, "history", "note-1", "--json")[1])
    assert [(e["action"], e["actor"]) for e in history["events"]] == [("restore", "boss")]
    assert json.loads(run(kb, "show", "note-1", "--json")[1])["status"] == "active"


def test_users_update_role_and_team(kb: CliRunner, capsys: pytest.CaptureFixture[str]) -> None:
    run(kb, "users", "add", "boss", "--role", "manager")
    run(kb, "users", "add", "li.na", "--team", "east")
    code, out, _ = run(kb, "users", "update", "li.na", "--role", "manager", "--team", "south")
    assert code == 0 and "role manager, team south" in out
    assert run(kb, "users", "update", "li.na", "--team", "")[1].strip().endswith("team (none)")
    run(kb, "users", "update", "li.na", "--role", "reader")
    assert "last active manager" in fails(capsys, "users", "update", "boss", "--role", "reader")


def test_reviews_request_queue_and_decide(kb: CliRunner, tmp_path: Path) -> None:
    run(kb, "users", "add", "li.na", "--role", "contributor")
    note = tmp_path / "note.md"
    note.write_text(NOTE.format(tags="a"), encoding="utf-8")
    run(kb, "ingest", str(note))
    code, out, _ = run(kb, "reviews", "request", "note-1", "--note", "please", "--as", "boss")
    assert code == 0 and "1 review request(s) open" in out
    queue = json.loads(run(kb, "reviews", "--as", "li.na", "--json")[1])["items"]
    assert [(r["document_id"], r["verifiers"], r["note"]) for r in queue] == [
        (1, ["li.na"], "please")
    ]
    assert json.loads(run(kb, "reviews", "--as", "someone", "--json")[1])["items"] == []
    code, out, _ = run(kb, "reviews", "decide", str(queue[0]["id"]), "approve", "--as", "li.na")
    assert code == 0 and "approved" in out
    assert json.loads(run(kb, "reviews", "--json")[1])["items"] == []


def test_notify_delivers_and_lists_failures(kb: CliRunner) -> None:
    from kb.db import transaction
    from kb.outbox import Message, notify, set_preference

    run(kb, "users", "add", "li.na")
    engine = command_context.context().engine
    with transaction(engine) as session:
        hook = {"format": "json", "url": "http://127.0.0.1:9/closed"}
        set_preference(session, "li.na", email=None, webhooks=[hook], mute_digest=False)
        notify(session, "li.na", "hello/1", Message("handover", "Hello", "Body"))
    code, out, _ = run(kb, "notify")
    assert code == 0 and out.startswith("sent 0, retrying 1, failed 0")
    assert json.loads(run(kb, "notify", "--failed", "--json")[1])["items"] == []
    command_context.context().settings.notify_max_attempts = 2
    command_context.context().settings.notify_retry_seconds = 0
    with transaction(engine) as session:  # due again now
        from kb.models import Delivery

        for delivery in session.exec(select(Delivery)):
            delivery.next_attempt_at = delivery.next_attempt_at.replace(year=2000)
            session.add(delivery)
    assert run(kb, "notify")[1].startswith("sent 0, retrying 0, failed 1")
    [failed] = json.loads(run(kb, "notify", "--failed", "--json")[1])["items"]
    assert (failed["recipient"], failed["attempts"]) == ("li.na", 2)
    assert "closed" in run(kb, "notify", "--failed")[1]


def test_winloss_and_competitor(kb: CliRunner, tmp_path: Path) -> None:
    bid = (
        "---\nid: bid-1\nkind: bid_result\nbid: B-1\ncustomer: 江南银行\noutcome: {outcome}\n"
        "industry: 金融\ncompetitors: [华为云]\nreasons: [PoC 领先]\namount: 100\n---\nReview.\n"
    )
    (tmp_path / "b1.md").write_text(bid.format(outcome="won"), encoding="utf-8")
    (tmp_path / "b2.md").write_text(
        bid.format(outcome="lost").replace("bid-1", "bid-2").replace("B-1", "B-2"), "utf-8"
    )
    run(kb, "ingest", str(tmp_path))
    [row] = json.loads(run(kb, "winloss", "--json")[1])["rows"]
    assert (row["competitor"], row["won"], row["lost"], row["win_rate"]) == ("华为云", 1, 1, 0.5)
    code, out, _ = run(kb, "winloss", "--group-by", "industry")
    assert code == 0 and "金融" in out and "PoC 领先" in out
    page = json.loads(run(kb, "competitor", "华为云", "--json")[1])
    assert [b["bid"] for b in page["bids"]] == ["B-2", "B-1"]
    assert page["win_rate"] == 0.5


def test_verifier_defaults_from_the_command_line_match_the_api(
    kb: CliRunner, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import httpx

    from kb.db import transaction
    from kb.people import add_person
    from tests.api.servers import serve

    ctx = command_context.context()
    with transaction(ctx.engine) as session:
        _, token = add_person(session, "boss", role="manager", team="east")
        for name in ("li.na", "wang.fang"):
            add_person(session, name, role="contributor", team="east")
    note = tmp_path / "note.md"
    note.write_text(NOTE.format(tags="a"), encoding="utf-8")
    run(kb, "ingest", str(note))
    code, out, _ = run(kb, "verifiers", "set-default", "product_note", "wang.fang", "--json")
    assert code == 0 and json.loads(out) == {
        "kind": "product_note",
        "team": None,
        "verifiers": ["wang.fang"],
    }
    run(kb, "verifiers", "set-default", "qa", "boss", "li.na", "--team", "east")
    shown = json.loads(run(kb, "verifiers", "show", "note-1", "--json")[1])
    listed = json.loads(run(kb, "verifiers", "defaults", "--json")[1])
    with serve(ctx) as base, httpx.Client(base_url=base, timeout=120) as http:
        headers = {"Authorization": f"Bearer {token}"}
        assert listed == http.get("/verifier-defaults", headers=headers).json()
        assert shown == http.get("/documents/note-1/verifiers", headers=headers).json()
    assert shown == {"verifiers": ["wang.fang"], "source": "default (kind)"}
    assert [d["kind"] for d in listed["items"]] == ["product_note", "qa"]
    code, out, _ = run(kb, "verifiers", "defaults")
    assert code == 0 and "boss, li.na" in out and "(any)" in out
    assert run(kb, "verifiers", "set", "note-1", "boss")[1].strip() == "boss (document)"
    assert run(kb, "verifiers", "set-default", "product_note")[1].strip().endswith("no default")
    assert "unknown kind 'memo'" in fails(capsys, "verifiers", "set-default", "memo", "boss")
    assert "no person named 'nobody'" in fails(capsys, "verifiers", "set", "note-1", "nobody")


@pytest.mark.parametrize(
    ("command", "path"),
    [
        (["winloss", "--group-by", "industry"], "/analytics/win-loss?group_by=industry"),
        (["competitor", "华为云"], "/competitors/华为云"),
        (["show", "bid-1"], "/documents/bid-1"),
        (["history", "bid-1"], "/documents/bid-1/versions"),
    ],
)
def test_json_output_is_what_the_api_answers(
    kb: CliRunner, cli_context: Context, tmp_path: Path, command: list[str], path: str
) -> None:
    (tmp_path / "b1.md").write_text(
        "---\nid: bid-1\nkind: bid_result\nbid: B-1\ncustomer: 江南银行\noutcome: won\n"
        "industry: 金融\ncompetitors: [华为云]\nreasons: [PoC 领先]\n---\nReview.\n",
        encoding="utf-8",
    )
    (tmp_path / "ci.md").write_text(
        "---\nid: ci-1\nkind: competitor_intel\ncompetitor: 华为云\nsource: 客户\n"
        "observed: 2026-11-01\n---\nPrices.\n",
        encoding="utf-8",
    )
    run(kb, "ingest", str(tmp_path))
    token = run(kb, "users", "add", "boss", "--role", "manager")[1].split()[-1]
    code, out, _ = run(kb, *command, "--json")
    assert code == 0
    with TestClient(create_app(context=cli_context)) as client:
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    api = answer.json()
    if command[0] == "show":  # the API notes the view it answers, the command does not
        assert api.pop("viewed_at").endswith("Z")
        api["viewed_at"] = None
    assert json.loads(out) == api
