"""The ingest pipeline against a real store: versions, failures, prune, strict."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ingest.chunking import ChunkBudget
from ingest.pipeline import Ingester
from kb.db import transaction
from kb.documents import build_draft
from kb.lifecycle import set_status
from kb.models import Chunk, Document, DocumentVersion, Event
from kb.store import resolve_document, save_draft
from search.embedder import SentenceTransformerEmbedder

NOTE = """---
id: {id}
kind: product_note
title: {title}
owner: li.na
products: [X-200]
---
# {title}

## 性能
X-200 单节点吞吐 {speed} MB/s，支持国产化信创环境。

## Pricing
List price is 380,000 CNY per appliance.
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def note(folder: Path, name: str, speed: int = 800, **kw: str) -> Path:
    values = {"id": name, "title": f"X-200 {name}", **kw}
    return write(folder / f"{name}.md", NOTE.format(speed=speed, **values))


@pytest.fixture
def ingester(engine: Engine, embedder: SentenceTransformerEmbedder) -> Ingester:
    budget = ChunkBudget(embedder.count_tokens, embedder.max_tokens)
    return Ingester(engine, budget, max_file_bytes=50_000)


def counts(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return [
            int(session.exec(select(func.count()).select_from(m)).one())
            for m in (Document, DocumentVersion, Chunk, Event)
        ]


def test_folder_ingest_adds_documents_with_heading_paths(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path / "src", "a")
    note(tmp_path / "src" / "sub", "b")
    report = ingester.ingest_paths([tmp_path / "src"], author="li.na")
    assert sorted(report.added) == ["a", "b"]
    with Session(engine) as session:
        document = resolve_document(session, "a")
        chunks = session.exec(select(Chunk).where(Chunk.document_id == document.id)).all()
        assert {c.heading_path for c in chunks} == {"X-200 a > 性能", "X-200 a > Pricing"}
        assert document.language == "zh"


def test_reingest_unchanged_writes_nothing(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "a")
    ingester.ingest_paths([tmp_path])
    before = counts(engine)
    report = ingester.ingest_paths([tmp_path])
    assert report.unchanged == ["a"] and not report.added and not report.updated
    assert counts(engine) == before


def test_an_unchanged_file_leaves_later_api_edits_and_deletes_standing(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    """Re-running an ingest (as the main job does on every start) must not undo what people
    did since: a new version written over the API, or a delete."""
    note(tmp_path, "edited")
    note(tmp_path, "dropped")
    ingester.ingest_paths([tmp_path])
    with transaction(engine) as session:
        edited = resolve_document(session, "edited")
        fields = {"kind": "product_note", "owner": "li.na", "title": edited.title}
        draft = build_draft(
            fields, "Edited over the API.", origin="api", default_id="edited", default_title="x"
        )
        save_draft(session, draft, [], author="wang.fang")
        set_status(session, resolve_document(session, "dropped"), "deleted", actor="wang.min")
    before = counts(engine)
    report = ingester.ingest_paths([tmp_path])
    assert sorted(report.unchanged) == ["dropped", "edited"] and not report.updated
    assert counts(engine) == before
    with Session(engine) as session:
        assert resolve_document(session, "edited").current_version == 2
        assert resolve_document(session, "dropped").status == "deleted"
    note(tmp_path, "dropped", speed=990)
    report = ingester.ingest_paths([tmp_path])
    assert report.updated == ["dropped"] and report.unchanged == ["edited"]
    with Session(engine) as session:
        dropped = resolve_document(session, "dropped")
        assert (dropped.status, dropped.current_version) == ("active", 2)


def test_a_pruned_file_that_comes_back_is_restored(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    path = note(tmp_path, "a")
    ingester.ingest_paths([tmp_path], prune=True)
    path.rename(tmp_path / "aside.txt.bak")
    assert ingester.ingest_paths([tmp_path], prune=True).deleted == ["a"]
    (tmp_path / "aside.txt.bak").rename(path)
    report = ingester.ingest_paths([tmp_path], prune=True)
    assert report.updated == ["a"]
    with Session(engine) as session:
        assert resolve_document(session, "a").status == "active"


def test_changed_file_adds_version(ingester: Ingester, engine: Engine, tmp_path: Path) -> None:
    note(tmp_path, "a", speed=800)
    ingester.ingest_paths([tmp_path])
    note(tmp_path, "a", speed=950)
    report = ingester.ingest_paths([tmp_path], author="wang.fang")
    assert report.updated == ["a"]
    with Session(engine) as session:
        assert resolve_document(session, "a").current_version == 2


def test_bad_files_are_reported_and_the_rest_goes_on(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "good")
    write(tmp_path / "broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    write(tmp_path / "memo.md", "---\nkind: memo\n---\nbody text\n")
    write(tmp_path / "deck.docx", "not a zip")
    write(tmp_path / "empty.txt", "")
    write(tmp_path / "huge.txt", "x" * 60_000)
    report = ingester.ingest_paths([tmp_path])
    assert report.added == ["good"]
    failed = {f["path"]: f["error"] for f in report.failed}
    assert set(failed) == {"broken.md", "memo.md", "deck.docx", "empty.txt", "huge.txt"}
    assert "unknown kind 'memo'" in failed["memo.md"]
    assert "over the limit" in failed["huge.txt"]
    assert counts(engine)[0] == 1


def test_strict_writes_nothing_when_any_file_fails(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "good")
    write(tmp_path / "memo.md", "---\nkind: memo\n---\nbody text\n")
    report = ingester.ingest_paths([tmp_path], strict=True)
    assert report.failed and not report.added
    assert counts(engine) == [0, 0, 0, 0]


def test_duplicate_ids_in_one_run_fail_the_later_file(ingester: Ingester, tmp_path: Path) -> None:
    note(tmp_path, "a", id="same")
    note(tmp_path, "b", id="same")
    report = ingester.ingest_paths([tmp_path])
    assert report.added == ["same"]
    assert len(report.failed) == 1 and "duplicate id 'same'" in report.failed[0]["error"]


def test_jsonl_bad_line_is_reported_with_line_number(ingester: Ingester, tmp_path: Path) -> None:
    write(
        tmp_path / "bulk.jsonl",
        '{"id": "d1", "title": "One", "text": "first document"}\n'
        '{"id": "d2", "title": "Two", "text": \n'
        '{"id": "d3", "title": "Three", "text": "third document", "kind": "product_note"}\n',
    )
    report = ingester.ingest_paths([tmp_path])
    assert sorted(report.added) == ["d1", "d3"]
    assert [f["path"] for f in report.failed] == ["bulk.jsonl:2"]


def test_an_all_digit_id_is_refused_naming_its_line(ingester: Ingester, tmp_path: Path) -> None:
    """`kb show 2` means document number 2; a source id of "2" would make that ambiguous."""
    write(
        tmp_path / "bulk.jsonl",
        '{"id": "2", "title": "Two", "text": "second document"}\n'
        '{"id": "doc-1", "title": "One", "text": "first document"}\n',
    )
    report = ingester.ingest_paths([tmp_path])
    assert report.added == ["doc-1"]
    [failure] = report.failed
    assert failure["path"] == "bulk.jsonl:1" and "id '2' is all digits" in failure["error"]


def test_gb18030_text_file_is_read(ingester: Ingester, engine: Engine, tmp_path: Path) -> None:
    write(tmp_path / "gbk.txt", "华为云数据集成报价下调百分之二十。", encoding="gb18030")
    report = ingester.ingest_paths([tmp_path])
    assert report.added == ["gbk.txt"]
    with Session(engine) as session:
        version = session.exec(select(DocumentVersion)).one()
        assert "华为云" in version.text


def test_prune_marks_vanished_files_deleted_and_keeps_history(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "a")
    gone = note(tmp_path, "b")
    ingester.ingest_paths([tmp_path])
    gone.unlink()
    report = ingester.ingest_paths([tmp_path], prune=True)
    assert report.deleted == ["b"]
    with Session(engine) as session:
        document = resolve_document(session, "b")
        assert document.status == "deleted" and document.current_version == 1
        assert resolve_document(session, "a").status == "active"


def test_prune_spares_documents_of_files_that_failed_to_read(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    path = note(tmp_path, "a")
    ingester.ingest_paths([tmp_path])
    write(path, "---\ntitle: [unclosed\n---\nbody\n")
    report = ingester.ingest_paths([tmp_path], prune=True)
    assert report.deleted == [] and len(report.failed) == 1


def test_every_chunk_fits_the_model_input(
    ingester: Ingester, engine: Engine, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    long_text = "。".join(
        f"第{i}条：X-200 在金融行业的部署经验说明，涉及等保三级与国产化适配" for i in range(300)
    )
    write(tmp_path / "long.md", f"---\nid: long\ntitle: 长文档\n---\n# 长文档\n\n{long_text}\n")
    ingester.ingest_paths([tmp_path])
    with Session(engine) as session:
        chunks = session.exec(select(Chunk)).all()
    assert len(chunks) > 5
    assert max(embedder.count_tokens(c.embedding_text) for c in chunks) <= embedder.max_tokens


def test_moved_unchanged_file_records_its_new_path_without_a_version(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    old = note(tmp_path / "old", "a")
    ingester.ingest_paths([tmp_path / "old"])
    before = counts(engine)
    new = tmp_path / "new" / "a.md"
    new.parent.mkdir()
    old.rename(new)
    report = ingester.ingest_paths([tmp_path / "new"])
    assert report.unchanged == ["a"] and counts(engine) == before
    with Session(engine) as session:
        assert resolve_document(session, "a").source_path == str(new.resolve())
    assert ingester.ingest_paths([tmp_path / "old"], prune=True).deleted == []


def fail_inserts_of(engine: Engine, source_id: str) -> None:
    """A real database failure for one document: a trigger that aborts its insert."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER kb_fail BEFORE INSERT ON document WHEN NEW.source_id = "
                f"'{source_id}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION kb_fail() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.source_id = '{source_id}' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER kb_fail BEFORE INSERT ON document "
                "FOR EACH ROW EXECUTE FUNCTION kb_fail()"
            )


def test_a_database_failure_loses_only_that_document(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "a")
    note(tmp_path, "b")
    fail_inserts_of(engine, "b")
    report = ingester.ingest_paths([tmp_path])
    assert report.added == ["a"]
    assert [f["path"] for f in report.failed] == ["b.md"]
    assert "disk full" in report.failed[0]["error"]
    for leak in ("SQL", "INSERT", "parameters", "X-200 b"):  # no statement, no values
        assert leak not in report.failed[0]["error"]
    assert counts(engine) == [1, 1, 2, 1]


def test_strict_undoes_everything_on_a_database_failure(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    note(tmp_path, "a")
    note(tmp_path, "b")
    fail_inserts_of(engine, "b")
    report = ingester.ingest_paths([tmp_path], strict=True)
    assert report.added == [] and [f["path"] for f in report.failed] == ["b.md"]
    assert counts(engine) == [0, 0, 0, 0]


def test_csv_rows_without_ids_are_named_by_their_question(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    """Two questions with the same answer are two documents; editing an answer is a new
    version of its question's document, not a second document."""
    rows = "question,answer\nSupports SSO?,Yes.\nSupports LDAP?,Yes.\nRuns on ARM?,{arm}\n"
    write(tmp_path / "qa.csv", rows.format(arm="Not yet."))
    first = ingester.ingest_paths([tmp_path])
    assert len(first.added) == 3 and not first.failed
    write(tmp_path / "qa.csv", rows.format(arm="Yes: on Kunpeng 920."))
    second = ingester.ingest_paths([tmp_path])
    assert (len(second.updated), len(second.unchanged), second.added) == (1, 2, []), second
    with Session(engine) as session:
        arm = resolve_document(session, second.updated[0])
        assert (arm.title, arm.current_version) == ("Runs on ARM?", 2)


def test_an_unreadable_file_is_reported_and_the_rest_goes_on(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    """A file the system fails to read (here /proc/self/mem, named on the command line through
    a link; it fails with EIO even for root) is one failure in the report, not the end of
    the run."""
    note(tmp_path, "readable")
    (tmp_path / "unreadable.md").symlink_to("/proc/self/mem")
    report = ingester.ingest_paths([tmp_path / "readable.md", tmp_path / "unreadable.md"])
    assert report.added == ["readable"]
    assert [f["path"] for f in report.failed] == ["mem"]
    assert "cannot read the file: Input/output error" in report.failed[0]["error"]


def test_symlinks_leaving_the_folder_and_dangling_ones_are_skipped_with_a_reason(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    outside = note(tmp_path / "elsewhere", "secret")
    folder = tmp_path / "docs"
    inside = note(folder, "inside")
    (folder / "passwd.md").symlink_to(outside)
    (folder / "gone.md").symlink_to(tmp_path / "nothing.md")
    (folder / "again.md").symlink_to(inside)  # inside the folder: read once, as inside.md
    (folder / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    report = ingester.ingest_paths([folder])
    assert report.failed == []
    assert report.added == ["inside"] and report.unchanged == []
    reasons = {item["path"]: item["reason"] for item in report.skipped}
    assert reasons == {
        "passwd.md": "symbolic link to a file outside the folder being ingested (not followed)",
        "gone.md": "symbolic link to nothing (dangling)",
        "again.md": "symbolic link to inside.md (read under its own name, not twice)",
        "linked": "symbolic link to a folder (not followed)",
    }
    with Session(engine) as session:
        assert resolve_document(session, "inside").current_version == 1
        assert session.exec(select(Document).where(Document.source_id == "secret")).first() is None


def test_the_report_names_every_skipped_file_and_why(ingester: Ingester, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    note(folder, "kept")
    write(folder / "README.md", "# About this folder\n")
    write(folder / ".draft.md", "# Hidden\n\ntext\n")
    write(folder / ".git" / "config", "[core]\n")
    write(folder / "slides.pptx", "not read")
    write(folder / "notes" / "Makefile", "all:\n")
    report = ingester.ingest_paths([folder])
    assert report.added == ["kept"]
    reasons = {item["path"]: item["reason"] for item in report.skipped}
    assert set(reasons) == {"README.md", ".draft.md", ".git", "slides.pptx", "notes/Makefile"}
    assert reasons[".git"] == "hidden folder" and reasons[".draft.md"] == "hidden file"
    assert reasons["README.md"].startswith("a README")
    assert reasons["slides.pptx"].startswith("unsupported file type '.pptx'")
    assert reasons["notes/Makefile"].startswith("unsupported file type '(none)'")
    assert report.as_dict()["skipped"] == report.skipped


def test_utf16_without_a_byte_order_mark_is_read(
    ingester: Ingester, engine: Engine, tmp_path: Path
) -> None:
    for encoding in ("utf-16-le", "utf-16-be"):
        text = NOTE.format(id=encoding, title=f"X-200 {encoding}", speed=800)
        write(tmp_path / f"{encoding}.md", text, encoding=encoding)
    report = ingester.ingest_paths([tmp_path])
    assert report.failed == [] and sorted(report.added) == ["utf-16-be", "utf-16-le"]
    with Session(engine) as session:
        version = session.exec(select(DocumentVersion)).first()
        assert version is not None and "国产化信创环境" in version.text


def test_two_ingests_at_once_report_no_false_failures(
    engine: Engine, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """Two runs over the same new files race to store each document; the loser of a race finds
    it stored (unchanged) instead of reporting a failure."""
    for number in range(40):
        note(tmp_path, f"n{number:02}", speed=number)
    budget = ChunkBudget(embedder.count_tokens, embedder.max_tokens)
    engines = [make_engine_like(engine) for _ in range(2)]
    runners = [Ingester(e, budget, max_file_bytes=50_000) for e in engines]
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda runner: runner.ingest_paths([tmp_path]), runners))
    for other in engines:
        other.dispose()
    assert [report.failed for report in reports] == [[], []]
    stored = sorted(reports[0].added + reports[1].added)
    assert stored == [f"n{number:02}" for number in range(40)]  # each stored once
    assert len(reports[0].unchanged) + len(reports[1].unchanged) == 40
    assert counts(engine)[:2] == [40, 40]


def make_engine_like(engine: Engine) -> Engine:
    """A second engine on the same database (another process would have its own)."""
    return create_engine(engine.url)
