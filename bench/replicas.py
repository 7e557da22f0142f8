"""Replicas following the change log, at scale: a generated corpus of 100,000 chunks (synthetic
embeddings stored in the database, real keyword text), two replicas in one process (A writes
and searches, B follows), the real model for queries.

    .venv/bin/python bench/replicas.py [--chunks 100000] [--writes 200] [--rate 10]
        [--database-url postgresql+psycopg://...] [--embed 1000] [--skip-compaction]

Prints: the first build of the indexes; the latency of the next search after a write on the
replica that wrote it (`min_seq`: it waits until the write is applied) p50 / p95; the cold
start of a new replica from the saved index files plus the log since (against a rebuild from
the database); replica B's lag behind commits at `--rate` writes per second, p50 / p99; a
compaction (a fifth of the chunks deleted in one write): how long B takes to apply it, its
searches meanwhile and when its new HNSW graph (built aside) is ready; and, on PostgreSQL,
embedding throughput of 1, 2 and 4 `kb worker` processes on `--embed` chunks stored without
vectors. The machine should be otherwise idle: the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import col, delete  # noqa: E402

from api.context import Context  # noqa: E402
from bench.beir import percentile  # noqa: E402
from bench.search_speed import (
    CHUNKS_PER_DOC,  # noqa: E402
    build,  # noqa: E402
)
from kb.changes import committed_seq  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.db import transaction  # noqa: E402
from kb.documents import build_draft, sha256  # noqa: E402
from kb.embeddings import store_vectors  # noqa: E402
from kb.lifecycle import set_status  # noqa: E402
from kb.models import Embedding  # noqa: E402
from kb.store import ChunkInput, resolve_document, save_draft  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def write_one(context: Context, i: int) -> tuple[int, str]:
    """Store a small document (its vector too) in one transaction; (its seq, its marker)."""
    marker = f"BW{i}Q{i}"
    text = f"Replica benchmark note {marker} about cluster replication latency."
    rng = np.random.default_rng(i)
    with transaction(context.engine) as session:
        draft = build_draft(
            {"id": f"bench-write-{i}", "kind": "product_note"},
            text,
            origin="bench",
            default_id=f"bench-write-{i}",
            default_title=f"Bench write {i}",
        )
        piece = ChunkInput(0, (), text, "", sha256(text))
        save_draft(session, draft, [piece], author="bench")
        vector = rng.normal(size=(1, context.embedder.dim)).astype(np.float32)
        store_vectors(session, context.embedder.model_id, [piece.content_hash], vector)
    seq = committed_seq(session)
    assert seq is not None
    return seq, marker


def next_search_after_write(context: Context, writes: int, offset: int) -> list[float]:
    """Milliseconds of the search that follows each write (read-your-writes)."""
    times = []
    for i in range(writes):
        seq, marker = write_one(context, offset + i)
        start = time.perf_counter()
        hits = context.search.search(marker, min_seq=seq)
        times.append((time.perf_counter() - start) * 1000)
        assert hits and hits[0].source_id == f"bench-write-{offset + i}", marker
    return times


def lag_at_rate(writer: Context, follower: Context, writes: int, rate: float) -> list[float]:
    """Milliseconds from each commit to the follower having applied it."""
    committed: dict[int, float] = {}
    applied: dict[int, float] = {}
    done = threading.Event()

    def watch() -> None:
        last = follower.indexes.applied_seq
        while not done.is_set() or len(applied) < len(committed):
            seq = follower.indexes.applied_seq
            if seq != last:
                now = time.perf_counter()
                for pending in [s for s in committed if s <= seq and s not in applied]:
                    applied[pending] = now
                last = seq
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    for i in range(writes):
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        seq, _ = write_one(writer, 1_000_000 + i)
        committed[seq] = time.perf_counter()
    done.set()
    watcher.join(timeout=60)
    return [(applied[s] - committed[s]) * 1000 for s in committed if s in applied]


def compaction_lag(writer: Context, follower: Context, chunks: int) -> None:
    """Delete, in one write, enough generated documents that over a fifth of the follower's
    vector rows are dead (it compacts them and needs a new HNSW graph); print how long it took
    to apply, its searches' latency meanwhile and when its new graph was ready."""
    documents = int(0.21 * chunks / CHUNKS_PER_DOC) + 1
    with transaction(writer.engine) as session:
        for doc in range(documents):
            set_status(session, resolve_document(session, f"gen-{doc}"), "deleted", actor="bench")
    seq = committed_seq(session)
    assert seq is not None
    committed = time.perf_counter()
    searches: list[float] = []
    applied = ready = None
    while ready is None and time.perf_counter() - committed < 600:
        start = time.perf_counter()
        follower.search.search("replication latency cluster", mode="semantic")
        searches.append((time.perf_counter() - start) * 1000)
        if applied is None and follower.indexes.applied_seq >= seq:
            applied = time.perf_counter() - committed
        if applied is not None and follower.indexes.generation().vector.approximate:
            ready = time.perf_counter() - committed
        time.sleep(0.05)
    print(
        f"compaction: {documents} documents ({documents * CHUNKS_PER_DOC} chunks) deleted in one "
        f"write: the follower applied it in {applied or float('nan'):.1f} s; its HNSW graph, "
        f"built aside, was ready after {ready or float('nan'):.1f} s; its {len(searches)} "
        f"semantic searches meanwhile p50 {percentile(searches, 50):.0f} ms, p95 "
        f"{percentile(searches, 95):.0f} ms"
    )


def store_without_vectors(context: Context, count: int) -> list[str]:
    """`count` one-chunk documents of real text, no vectors; their content hashes."""
    hashes = []
    with transaction(context.engine) as session:
        for i in range(count):
            text = (
                f"Worker benchmark note {i}: the cluster replicates tenant data across two "
                f"regions, encrypts backups and reports latency {i % 97} ms at peak load."
            )
            draft = build_draft(
                {"id": f"bench-embed-{i}", "kind": "product_note"},
                text,
                origin="bench",
                default_id=f"bench-embed-{i}",
                default_title=f"Bench embed {i}",
            )
            piece = ChunkInput(0, (), text, "", sha256(text))
            save_draft(session, draft, [piece], author="bench")
            hashes.append(piece.content_hash)
    return hashes


def worker_throughput(context: Context, hashes: list[str], workers: int, home: Path) -> float:
    """Chunks per second of `workers` `kb worker --once` processes on the waiting chunks."""
    with transaction(context.engine) as session:
        session.exec(delete(Embedding).where(col(Embedding.content_hash).in_(hashes)))  # type: ignore[call-overload]
    env = {
        **os.environ,
        "KB_HOME": str(home),
        "KB_DATABASE_URL": context.settings.resolved_database_url,
        "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "api", "worker", "--once", "--json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    results = [json.loads(p.communicate()[0]) for p in processes]
    embedded = sum(r["embedded"] for r in results)
    return embedded / max(r["seconds"] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--embed", type=int, default=1000, help="chunks for the worker test")
    parser.add_argument("--skip-compaction", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = Context(Settings(home=Path(tmp) / "a", database_url=args.database_url))
        start = time.perf_counter()
        build(a, args.chunks, a.embedder.dim)
        stored = time.perf_counter() - start
        start = time.perf_counter()
        a.indexes.sync()
        built = time.perf_counter() - start
        print(
            f"corpus: {args.chunks} chunks stored in {stored:.1f} s; indexes built in {built:.1f} s"
        )
        a.start_following()
        a.search.search("warmup query", min_seq=None)
        after_write = next_search_after_write(a, min(args.writes, 100), 0)
        print(
            f"next search after a write (same replica, min_seq): p50 "
            f"{percentile(after_write, 50):.1f} ms, p95 {percentile(after_write, 95):.1f} ms"
        )
        b_home = Path(tmp) / "b"
        a.indexes.save()
        shutil.copytree(a.settings.index_dir, b_home / "index")
        for i in range(50):  # written after the files were saved: replayed from the log
            write_one(a, 500_000 + i)
        b = Context(Settings(home=b_home, database_url=a.settings.resolved_database_url))
        b.__dict__["embedder"] = a.embedder
        start = time.perf_counter()
        b.indexes.generation()
        cold = time.perf_counter() - start
        print(
            f"cold start of a replica from the index files (+50 changes from the log): "
            f"{cold:.1f} s (rebuild from the database: {built:.1f} s); "
            f"rebuilt: {b.indexes.rebuilt_because or 'no'}"
        )
        b.start_following()
        lags = lag_at_rate(a, b, args.writes, args.rate)
        print(
            f"replica lag at {args.rate:g} writes/s ({len(lags)} writes): p50 "
            f"{percentile(lags, 50):.0f} ms, p99 {percentile(lags, 99):.0f} ms, "
            f"max {max(lags):.0f} ms"
        )
        if not args.skip_compaction:
            compaction_lag(a, b, args.chunks)
        b.stop_following()
        a.stop_following()
        if a.engine.dialect.name != "postgresql":
            print("embedding workers: needs --database-url of a PostgreSQL database")
            return
        hashes = store_without_vectors(a, args.embed)
        for workers in (1, 2, 4):
            rate = worker_throughput(a, hashes, workers, Path(tmp) / "workers")
            print(f"embedding with {workers} worker process(es): {rate:.0f} chunks/s")


if __name__ == "__main__":
    main()
