"""Embedding by a queue on PostgreSQL: with KB_EMBEDDING_WORKERS set, writes store chunks
without embedding them (keyword-searchable at once), and `kb worker` processes embed them, each
chunk taken by exactly one worker, each text stored once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from kb.models import Chunk, Embedding
from search.embedder import SentenceTransformerEmbedder
from search.embedding_pass import missing_vectors
from tests.replicas.conftest import ROOT, environment, queued_writer, write_notes

TOPICS = (
    "backup appliance",
    "single sign-on",
    "data residency",
    "price list",
    "disaster recovery",
    "audit logging",
)


def test_workers_embed_each_chunk_once(
    replica_database: str, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    context = queued_writer(replica_database, embedder, tmp_path)
    topics = [TOPICS[i % len(TOPICS)] for i in range(24)]
    notes = {
        f"note-{i}.md": f"# Note {i} on {t}\n\nHow we handle {t}.\n" for i, t in enumerate(topics)
    }
    notes["copy.md"] = notes["note-0.md"]
    report, sync = context.ingest([write_notes(tmp_path / "docs", notes)])
    assert not report.failed and sync.embedded == 0
    with Session(context.engine) as session:
        waiting = missing_vectors(session, embedder.model_id)
        chunks = int(session.exec(select(func.count()).select_from(Chunk)).one())
    assert len(waiting) == 24 and chunks == 25  # the copy's text is the same as note 0's
    keyword = context.search.search("disaster recovery", mode="keyword")
    assert keyword  # keyword-searchable before any vector lands
    assert context.search.search("disaster recovery", mode="semantic") == []

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "api", "worker", "--once", "--batch", "3", "--json"],
            env=environment(tmp_path / f"worker{n}", replica_database),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    taken = [json.loads(stdout)["embedded"] for stdout, _ in outputs]
    # each chunk taken by one worker at most (the copy's is left when note 0's vector lands
    # first: its text is embedded then)
    assert 24 <= sum(taken) <= chunks
    with Session(context.engine) as session:
        assert missing_vectors(session, embedder.model_id) == {}
        stored = session.exec(select(func.count()).select_from(Embedding)).one()
    assert stored == 24  # one vector per text
    semantic = context.search.search("disaster recovery", mode="semantic")
    assert semantic and "disaster recovery" in semantic[0].title
