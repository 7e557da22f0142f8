"""A 300-document ingest elsewhere while replica B is searched (issue 10): a third process
ingests with KB_EMBEDDING_WORKERS, two `kb worker` processes embed, and B, a `kb serve` of its
own, answers every search meanwhile, embeds nothing itself (its /metrics counter stays at 0),
and ends with every chunk; every text is embedded exactly once across the cluster."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from api.context import Context
from kb.config import Settings
from kb.models import Chunk, Embedding
from tests.api.conftest import add_people
from tests.api.test_operations import scrape, value
from tests.replicas.conftest import ROOT, environment, start_replica, stop_replica

DOCUMENTS = 300
QUERIES = ("backup retention policy", "单点登录 集成", "data residency in region 7", "price list")
TOPICS = ("backup retention", "single sign-on", "data residency", "price list", "audit logs")


def write_documents(folder: Path) -> None:
    folder.mkdir()
    for i in range(DOCUMENTS):
        topic = TOPICS[i % len(TOPICS)]
        (folder / f"note-{i:03}.md").write_text(
            f"# {topic.title()} note {i}\n\nHow customer {i} handles {topic} in region {i % 9}.\n"
        )


def test_a_bulk_ingest_elsewhere_leaves_searches_on_b_answering_and_b_embedding_nothing(
    replica_database: str, tmp_path: Path
) -> None:
    setup = Context(Settings(home=tmp_path / "setup", database_url=replica_database))
    people = add_people(setup)
    (tmp_path / "b").mkdir()
    b = start_replica("b", tmp_path / "b", replica_database, KB_EMBEDDING_WORKERS="true")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "api", "worker", "--batch", "32"],
            env=environment(tmp_path / f"worker{n}", replica_database, KB_LOG_FORMAT="json"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"worker{n}.log").open("wb"),
        )
        for n in range(2)
    ]
    write_documents(tmp_path / "docs")
    report = tmp_path / "ingest.json"
    ingest = subprocess.Popen(
        [sys.executable, "-m", "api", "ingest", str(tmp_path / "docs"), "--json"],
        env=environment(tmp_path / "ingest", replica_database, KB_EMBEDDING_WORKERS="true"),
        cwd=ROOT,
        stdout=report.open("wb"),
        stderr=(tmp_path / "ingest.log").open("wb"),
    )
    searches = during_ingest = 0
    slowest = 0.0
    try:
        with b.client() as client:
            deadline = time.monotonic() + 600
            while True:
                ingesting = ingest.poll() is None
                for mode in ("hybrid", "keyword", "semantic"):
                    started = time.perf_counter()
                    response = client.post(
                        "/search",
                        json={"query": QUERIES[searches % len(QUERIES)], "mode": mode},
                        headers=people["zhao.lei"],
                    )
                    assert response.status_code == 200, response.text
                    assert isinstance(response.json()["results"], list)
                    slowest = max(slowest, time.perf_counter() - started)
                    searches += 1
                    during_ingest += ingesting
                metrics = scrape(b.base)
                if not ingesting and value(metrics, "kb_index_vectors") == DOCUMENTS:
                    break
                assert time.monotonic() < deadline, f"not done in 600 s: {metrics}"
                time.sleep(0.2)  # leave the two cores to the ingest and the workers too
        assert ingest.wait(timeout=60) == 0, (tmp_path / "ingest.log").read_text()
    finally:
        for process in (*workers, ingest):
            process.terminate()
            process.wait(timeout=30)
        stop_replica(b)

    print(f"B: {searches} searches ({during_ingest} during the ingest), slowest {slowest:.2f} s")
    assert during_ingest >= 3  # B was searched while the ingest ran
    assert (
        json.loads(report.read_text())["index"]["embedded"] == 0
    )  # the ingesting process embedded nothing
    assert value(metrics, "kb_chunks_embedded_total") == 0  # neither did B
    assert value(metrics, "kb_index_chunks") == DOCUMENTS
    assert value(metrics, "kb_embedding_queue_depth") == 0
    embedded_by_workers = 0
    for n in range(2):
        for line in (tmp_path / f"worker{n}.log").read_text().splitlines():
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("event") == "worker.embedded":
                embedded_by_workers += event["chunks"]
    with Session(setup.engine) as session:
        texts = session.exec(select(func.count(func.distinct(Chunk.content_hash)))).one()
        stored = session.exec(select(func.count()).select_from(Embedding)).one()
    setup.engine.dispose()
    assert texts == stored == DOCUMENTS
    assert embedded_by_workers == DOCUMENTS  # each text embedded once, by one worker
