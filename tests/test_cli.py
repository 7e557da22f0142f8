"""The `kb` command, run in-process with typer's runner on a real data folder."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document as WordDocument
from typer.testing import CliRunner

from api.cli import app, main
from api.commands import context as command_context
from api.schemas.documents import DocumentDetail, VersionsPublic
from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import CONTENT, make_context

NOTE = "---\nid: note-1\nkind: product_note\nowner: li.na\n---\n# DataHub\n\nDataHub {v}.\n"


@pytest.fixture
def kb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> Iterator[CliRunner]:
    """A runner whose commands use a fresh data folder and the session's model."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    command_context.context.cache_clear()
    ctx = make_context(Settings(), embedder)
    monkeypatch.setattr(command_context, "context", lambda: ctx)
    for module in ("documents", "index", "people", "governance", "drafts"):
        monkeypatch.setattr(f"api.commands.{module}.context", lambda: ctx)
    yield CliRunner()
    ctx.engine.dispose()


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_search_history_diff(kb: CliRunner, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(NOTE.format(v="streams change data from Oracle"), encoding="utf-8")
    code, out, _ = run(kb, "ingest", str(note), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["added"] == ["note-1"] and report["failed"] == []
    note.write_text(NOTE.format(v="streams change data from Oracle and MySQL"), encoding="utf-8")
    assert json.loads(run(kb, "ingest", str(note), "--json")[1])["updated"] == ["note-1"]
    code, out, _ = run(kb, "search", "Oracle change data", "--json")
    results = json.loads(out)["results"]
    assert results[0]["source_id"] == "note-1" and results[0]["version"] == 2
    assert {"document_id", "title", "kind", "chunk_id", "section", "snippet", "score"} <= set(
        results[0]
    )
    for day, found in (("1999-01-01", True), ("2999-01-01", False)):
        args = ("search", "Oracle", "--filter", f"updated_after={day}", "--json")
        code, out, _ = run(kb, *args)
        assert code == 0 and bool(json.loads(out)["results"]) is found
    history = json.loads(run(kb, "history", "note-1", "--json")[1])
    assert [v["number"] for v in history["versions"]] == [1, 2]
    # --json prints the API's shapes: what GET /documents/{ref}/versions and /{ref} return
    assert VersionsPublic.model_validate(history).source_id == "note-1"
    shown = json.loads(run(kb, "show", "note-1", "--json")[1])
    assert DocumentDetail.model_validate(shown).version == 2
    code, out, _ = run(kb, "diff", "note-1", "1", "2")
    assert code == 0 and "+DataHub streams change data from Oracle and MySQL." in out


def test_strict_ingest_fails_and_writes_nothing(kb: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(NOTE.format(v="ok"), encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\nkind: memo\n---\nx\n", encoding="utf-8")
    code, out, _ = run(kb, "ingest", str(tmp_path), "--strict", "--json")
    assert code == 1
    assert json.loads(out)["added"] == []
    assert json.loads(run(kb, "search", "DataHub", "--json")[1])["results"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "nope"], "error: no document with id or source id 'nope'"),
        (["search", "x", "--filter", "colour"], "error: filter 'colour' is not key=value"),
        (["users", "add", "x", "--role", "boss"], "error: unknown role 'boss'"),
    ],
)
def test_domain_errors_print_a_message_and_exit_non_zero(
    kb: CliRunner, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 1
    assert message in capsys.readouterr().err


def test_sample_content_ingests_cleanly_and_audit_shows_every_status(kb: CliRunner) -> None:
    assert run(kb, "users", "import", str(CONTENT / "people.yaml"))[0] == 0
    code, out, _ = run(kb, "ingest", str(CONTENT), "--json")
    report = json.loads(out)
    assert code == 0 and report["failed"] == [] and len(report["added"]) >= 40
    code, out, _ = run(kb, "audit", "--as-of", "2026-11-27", "--json")
    statuses = {row["status"] for row in json.loads(out)["documents"]}
    assert {"fresh", "due_soon", "stale", "unowned"} <= statuses
    code, out, _ = run(kb, "check")
    assert code == 0 and out.strip().endswith("ok")
    code, out, _ = run(kb, "search", "华为云", "-f", "competitor=Huawei", "--json")
    hits = json.loads(out)["results"]
    assert code == 0 and len(hits) >= 3
    assert all("Huawei Cloud" in hit["metadata"]["competitors"] for hit in hits)
    code, out, _ = run(kb, "glossary", "Classified Protection", "--json")
    assert code == 0 and [e["name"] for e in json.loads(out)["entries"]] == ["等保", "等保三级"]


def test_searching_an_empty_knowledge_base_says_so(kb: CliRunner) -> None:
    code, out, err = run(kb, "search", "X-200")
    assert code == 0 and out.strip() == "no results"
    assert "holds no documents" in err and "kb ingest PATH" in err


def test_csv_output_does_not_hand_spreadsheets_formulas(kb: CliRunner, tmp_path: Path) -> None:
    note = tmp_path / "evil.md"
    note.write_text(
        '---\nid: evil\nkind: product_note\ntitle: "=HYPERLINK(\\"http://x\\",\\"y\\")"\n---\nText.\n',
        encoding="utf-8",
    )
    assert run(kb, "ingest", str(note))[0] == 0
    code, out, _ = run(kb, "audit", "--csv")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and row["title"] == '\'=HYPERLINK("http://x","y")'


def test_terminal_escape_sequences_in_documents_reach_the_terminal_neutralised(
    kb: CliRunner, tmp_path: Path
) -> None:
    hostile = "\x1b]0;pwned\x07Red \x1b[31malert\x1b[0m and a \x9b2J clear in DataHub logs"
    note = tmp_path / "esc.md"
    note.write_text(
        f"---\nid: esc-1\nkind: product_note\n---\n# \x1b[2JEscapes\n\n{hostile}.\n",
        encoding="utf-8",
    )
    assert json.loads(run(kb, "ingest", str(note), "--json")[1])["added"] == ["esc-1"]
    for args in (("show", "esc-1"), ("search", "alert clear"), ("history", "esc-1")):
        code, out, _ = run(kb, *args)
        assert code == 0 and "Escapes" in out, (args, out)
        for raw in ("\x1b", "\x07", "\x9b"):
            assert raw not in out, (args, out)
    out = run(kb, "show", "esc-1")[1]
    assert "\\x1b]0;pwned\\x07Red \\x1b[31malert" in out and "\\x1b[2JEscapes" in out
    shown = json.loads(run(kb, "show", "esc-1", "--json")[1])
    assert "\x1b[31malert" in shown["text"]  # --json keeps the text as stored


def test_draft_writes_a_word_file_in_standard_order(kb: CliRunner, tmp_path: Path) -> None:
    proposal = tmp_path / "offer.md"
    proposal.write_text(
        "---\nid: prop-1\nkind: proposal\ncustomer: A\nindustry: 金融\nowner: li.na\n---\n"
        "# Offer\n\n## Why us\n\nTwenty bank references.\n\n## Background\n\nA bank.\n",
        encoding="utf-8",
    )
    assert run(kb, "ingest", str(proposal))[0] == 0
    chunk_ids = {}
    for kind in ("advantages", "background"):
        out = run(kb, "search", "bank", "--filter", f"section_type={kind}", "--json")[1]
        chunk_ids[kind] = json.loads(out)["results"][0]["chunk_id"]
    request = tmp_path / "draft.json"
    items = [{"section_type": k, "ref": str(v)} for k, v in chunk_ids.items()]
    request.write_text(json.dumps({"title": "New offer", "items": items}), encoding="utf-8")
    code, out, err = run(kb, "draft", str(request), "--output", str(tmp_path / "d.docx"))
    assert code == 0, err
    word = WordDocument(str(tmp_path / "d.docx"))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Background", "Why us", "Sources"]
    request.write_text(json.dumps({"title": "x", "items": [{"section_type": "nope", "ref": "1"}]}))
    result = kb.invoke(app, ["draft", str(request), "--output", str(tmp_path / "e.docx")])
    assert result.exit_code == 1
    assert "items.0.section_type: Input should be 'background'" in str(result.exception)
    assert not (tmp_path / "e.docx").exists()
