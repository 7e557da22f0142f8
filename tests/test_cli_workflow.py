"""The `kb` commands of the review workflow, people and history, run in-process on a real
data folder."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import api.commands
from api.cli import app, main
from api.commands import context as command_context
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import make_context

NOTE = (
    "---\nid: note-1\nkind: product_note\nowner: li.na\ntags: [{tags}]\n---\n"
    "# DataHub\n\nDataHub.\n"
)


@pytest.fixture
def kb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> Iterator[CliRunner]:
    """A runner whose commands (every module in api.commands) use a fresh data folder."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    ctx = make_context(Settings(), embedder)
    for info in pkgutil.iter_modules(api.commands.__path__):
        module = importlib.import_module(f"api.commands.{info.name}")
        if hasattr(module, "context"):
            monkeypatch.setattr(module, "context", lambda: ctx)
    monkeypatch.setattr(command_context, "context", lambda: ctx)
    yield CliRunner()
    ctx.engine.dispose()


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
