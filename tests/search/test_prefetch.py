"""Embedding while ingesting: vectors of committed chunks only, none embedded twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from api.context import Context
from kb.models import Chunk, Embedding


def count(context: Context, model: type) -> int:
    with Session(context.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_ingest_embeds_committed_chunks_once(context: Context, tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"n{i}.md").write_text(f"# Note {i}\n\nDataHub fact number {i}.\n")
    (tmp_path / "bad.md").write_text("---\nkind: memo\n---\nnever stored\n")
    report, sync = context.ingest([tmp_path])
    assert len(report.added) == 5 and len(report.failed) == 1
    assert sync.embedded == count(context, Chunk) == count(context, Embedding) == 5
    assert sync.added == 5
    again, sync_again = context.ingest([tmp_path])
    assert len(again.unchanged) == 5 and sync_again.embedded == 0
    assert count(context, Embedding) == 5
