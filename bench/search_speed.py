"""Search speed at scale: a generated corpus of 100,000 chunks (synthetic embeddings stored in the
database, real keyword text), real queries embedded by the real model at query time.

    .venv/bin/python bench/search_speed.py [--chunks 100000] [--queries 300] [--home DIR]
        [--scifact ../shared/eval/scifact]

Prints build time, hybrid / keyword / semantic latency p50 / p95 (query embedding included; also
the process's CPU time per query, which other load on the machine inflates less),
hybrid and keyword again without query translation (KB_QUERY_TRANSLATION=false), HNSW
recall@10 against exact search, and peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.context import Context  # noqa: E402
from bench.beir import percentile, read_queries  # noqa: E402
from bench.evaluation import recall_at_k  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.db import transaction  # noqa: E402
from kb.documents import build_draft, sha256  # noqa: E402
from kb.embeddings import store_vectors  # noqa: E402
from kb.store import ChunkInput, save_draft  # noqa: E402

SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "scifact"
WORDS_EN = (
    "data integration platform deployment security compliance latency throughput cluster "
    "migration governance analytics warehouse pipeline replication encryption audit "
    "availability backup recovery tenant workflow approval dashboard report protein cell "
    "gene expression tumor patients clinical trial risk mortality infection"
).split()
WORDS_ZH = (
    "数据 集成 平台 部署 安全 合规 延迟 吞吐 集群 迁移 治理 分析 仓库 管道 复制 加密 审计 "
    "可用性 备份 恢复 租户 流程 审批 报表 国产化 信创 等保 银行 医院 政务"
).split()
CHUNKS_PER_DOC = 5


def chunk_text(rng: random.Random, i: int) -> str:
    words = WORDS_ZH if rng.random() < 0.4 else WORDS_EN
    body = " ".join(rng.choice(words) for _ in range(rng.randint(60, 140)))
    return f"{body} ref-{i} X-{rng.randint(100, 999)}"


def build(context: Context, chunks: int, dim: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    centres = np_rng.normal(size=(256, dim)).astype(np.float32)
    model = context.embedder.model_id
    for start in range(0, chunks, 5_000):
        with transaction(context.engine) as session:
            for doc in range(start // CHUNKS_PER_DOC, (start + 5_000) // CHUNKS_PER_DOC):
                texts = [chunk_text(rng, doc * CHUNKS_PER_DOC + j) for j in range(CHUNKS_PER_DOC)]
                draft = build_draft(
                    {"id": f"gen-{doc}", "kind": "product_note"},
                    "\n\n".join(texts),
                    origin="gen",
                    default_id=f"gen-{doc}",
                    default_title=f"Generated {doc}",
                )
                pieces = [ChunkInput(j, (), t, "", sha256(t)) for j, t in enumerate(texts)]
                save_draft(session, draft, pieces, author="bench")
                noise = np_rng.normal(scale=0.6, size=(CHUNKS_PER_DOC, dim)).astype(np.float32)
                vectors = centres[np_rng.integers(0, len(centres), CHUNKS_PER_DOC)] + noise
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                store_vectors(session, model, [p.content_hash for p in pieces], vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--scifact", type=Path, default=SCIFACT, help="SciFact folder (queries)")
    parser.add_argument(
        "--home", type=Path, help="keep the corpus in this folder and reuse it on the next run"
    )
    args = parser.parse_args()
    queries = list(read_queries(args.scifact).values())[: args.queries // 2]
    queries += [
        "华为云 数据集成 报价",
        "等保三级 国产化 部署",
        "X-200 throughput",
        "信创 银行 迁移",
        "审计 加密 合规",
    ] * max(1, (args.queries - len(queries)) // 5)
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "home"
        built = (home / "kb.sqlite").exists()
        context = Context(Settings(home=home))
        dim = context.embedder.dim
        start = time.perf_counter()
        if not built:
            build(context, args.chunks, dim)
        stored = time.perf_counter() - start
        start = time.perf_counter()
        context.indexes.sync()
        indexed = time.perf_counter() - start
        vector = context.indexes.generation().vector
        print(
            f"corpus: {len(vector)} chunks (dim {dim}), "
            + ("reused from --home" if built else f"stored in {stored:.1f} s")
            + f", indexes built in {indexed:.1f} s, approximate (HNSW): {vector.approximate}"
        )
        for translate in (True, False):  # warm up: every query once, untimed, either way
            context.search.translate = translate
            for q in queries:
                context.search.search(q, mode="hybrid")
        runs = [
            ("hybrid", True),
            ("hybrid", False),
            ("keyword", True),
            ("keyword", False),
            ("semantic", True),
        ]
        for mode, translate in runs:  # each mode with and without query translation, in turn
            context.search.translate = translate
            latency, cpu = [], []
            for query in queries:
                begin, begin_cpu = time.perf_counter(), time.process_time()
                context.search.search(query, top_k=10, mode=mode)
                latency.append((time.perf_counter() - begin) * 1000)
                cpu.append((time.process_time() - begin_cpu) * 1000)
            label = mode if translate else f"{mode} (no query translation)"
            print(
                f"{label:9s} p50 {percentile(latency, 50):6.2f} ms  "
                f"p95 {percentile(latency, 95):6.2f} ms  ({len(latency)} queries; CPU time "
                f"p50 {percentile(cpu, 50):.2f} ms, p95 {percentile(cpu, 95):.2f} ms: steadier "
                "on a loaded machine)"
            )
        embedded = np.vstack([context.embedder.encode_query(q) for q in queries[:200]])
        if vector.approximate:
            print(f"HNSW recall@10 vs exact: {recall_at_k(vector, embedded, k=10):.4f}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
