"""A text that fails to embed in the queue: a real `kb worker` records each attempt, waits a
doubling back-off before the next, shows the failure (`kb check`, /health, /metrics) and embeds
the text once the cause is gone. Nothing is dropped, and the other texts do not wait for it.

The failure is a real one: PostgreSQL refuses to store that text's vector (a CHECK constraint
the test adds), as a full disk or a broken connection would refuse it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from api.context import Context
from kb.embedding_queue import EmbeddingAttempt
from kb.models import Chunk, Document, Embedding
from search.embedder import SentenceTransformerEmbedder
from search.embedding_pass import missing_vectors
from tests.replicas.conftest import ROOT, environment, queued_writer, write_notes

MEMOS = 80
TOPICS = ("backup appliance", "single sign-on", "data residency", "price list", "audit logging")


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def waiting(context: Context) -> set[str]:
    with Session(context.engine) as session:
        return set(missing_vectors(session, context.embedder.model_id))


def attempt_of(context: Context, content_hash: str) -> EmbeddingAttempt | None:
    with Session(context.engine) as session:
        return session.get(EmbeddingAttempt, (content_hash, context.embedder.model_id))


def test_a_text_that_fails_to_embed_is_retried_with_back_off_and_never_lost(
    replica_database: str, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    context = queued_writer(replica_database, embedder, tmp_path)
    notes = {f"note-{i}.md": f"# Note on {t}\n\nHow we handle {t}.\n" for i, t in enumerate(TOPICS)}
    report, _ = context.ingest([write_notes(tmp_path / "docs", notes)])
    assert not report.failed
    with Session(context.engine) as session:
        poison = session.exec(
            select(Chunk.content_hash)
            .join(Document, Document.id == Chunk.document_id)  # type: ignore[arg-type]
            .where(Document.title == "Note on price list")
        ).one()
        others = set(missing_vectors(session, embedder.model_id)) - {poison}
    assert len(others) == 4
    refuse = (
        f"ALTER TABLE embedding ADD CONSTRAINT refuse_poison CHECK (content_hash <> '{poison}')"
    )
    with context.engine.begin() as connection:
        connection.execute(text(refuse))

    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "api", "worker", "--batch", "10"],
        env=environment(
            tmp_path / "worker",
            replica_database,
            KB_EMBEDDING_RETRY_SECONDS="1",
            KB_LOG_FORMAT="json",
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:

        def failed_twice() -> bool:
            attempt = attempt_of(context, poison)
            return attempt is not None and attempt.attempts >= 2

        wait_for(failed_twice, "two failed attempts")
        attempt = attempt_of(context, poison)
        assert attempt is not None and attempt.last_error is not None
        assert "refuse_poison" in attempt.last_error
        # the wait doubles: 1 s after the first failure, 2 s after the second, ...
        waited = attempt.next_attempt_at - attempt.taken_at
        assert waited == timedelta(seconds=2 ** (attempt.attempts - 1))
        # the batch that held it failed whole; its other texts were retried alone and stored
        wait_for(lambda: waiting(context) == {poison}, "the other texts")

        check = context.indexes.check()
        assert not check.ok and check.missing_embeddings == 1
        assert [f["content_hash"] for f in check.failed_embeddings] == [poison]
        assert context.replica_state().embedding_failures == 1
        assert context.replica_state().queue_depth == 1  # still queued: never dropped

        with context.engine.begin() as connection:
            connection.execute(text("ALTER TABLE embedding DROP CONSTRAINT refuse_poison"))
        wait_for(lambda: attempt_of(context, poison) is None, "the text to land at last")
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    with Session(context.engine) as session:
        assert missing_vectors(session, embedder.model_id) == {}
        stored = session.exec(select(func.count()).select_from(Embedding)).one()
    assert stored == 5  # every text once
    assert context.indexes.check().failed_embeddings == []
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    failures = [e for e in events if e.get("event") == "worker.failed"]
    assert failures[0]["texts"] == 5 and all(e["texts"] == 1 for e in failures[1:])
    assert sum(e["chunks"] for e in events if e.get("event") == "worker.embedded") == 5


def test_a_worker_killed_while_embedding_loses_nothing(
    replica_database: str, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """The attempt is counted before the texts are embedded: a worker killed in the middle
    leaves its texts queued (their chunks unlocked, nothing stored), counted and backed off,
    and the next worker embeds them."""
    context = queued_writer(replica_database, embedder, tmp_path)
    memos = {
        f"memo-{i}.md": f"# Memo {i}\n\nCustomer {i} asked about rack {i}.\n" for i in range(MEMOS)
    }
    context.ingest([write_notes(tmp_path / "docs", memos)])
    with Session(context.engine) as session:
        queued = set(missing_vectors(session, embedder.model_id))
    assert len(queued) == MEMOS

    def taken() -> list[EmbeddingAttempt]:
        with Session(context.engine) as session:
            return list(session.exec(select(EmbeddingAttempt)))

    env = environment(tmp_path / "worker", replica_database, KB_EMBEDDING_RETRY_SECONDS="1")
    command = [sys.executable, "-m", "api", "worker", "--batch", str(MEMOS), "--json"]
    worker = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not taken():  # the worker recorded its attempt and is embedding now
        assert worker.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    worker.kill()
    worker.wait(timeout=30)

    attempts = taken()
    assert {a.content_hash for a in attempts} == queued
    assert all(a.attempts == 1 and a.next_attempt_at > a.taken_at for a in attempts)
    with Session(context.engine) as session:
        assert set(missing_vectors(session, embedder.model_id)) == queued  # nothing stored
    time.sleep(1.5)  # the back-off after the first attempt
    done = subprocess.run([*command, "--once"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(done.stdout) | {"embedded": MEMOS, "failed": 0}
    with Session(context.engine) as session:
        assert missing_vectors(session, embedder.model_id) == {}
    assert taken() == []
