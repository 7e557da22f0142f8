"""Search quality on a BEIR-layout dataset, through the same ingest and search users run.

    .venv/bin/python bench/eval_beir.py ../shared/eval/scifact [--split test] [--home DIR]

Ingests corpus.jsonl through the normal JSONL ingest into a fresh data folder (or reuses
`--home`), runs the split's queries through `SearchService.search` and prints nDCG@10,
Recall@100 and MRR@10 per mode, the index time (ingest + embedding) and query latency p50/p95.
Tune on `--split train`; report `--split test`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.context import Context  # noqa: E402
from bench.beir import (  # noqa: E402
    corpus_id,
    mrr_at,
    ndcg_at,
    percentile,
    read_corpus,
    read_qrels,
    read_queries,
    recall_at,
)
from bench.evaluation import recall_at_k  # noqa: E402
from kb.config import Settings  # noqa: E402
from search.vector_index import VectorIndex


def ingest(context: Context, dataset: Path, workdir: Path) -> None:
    source = workdir / f"{dataset.name}.jsonl"
    with open(source, "w", encoding="utf-8") as out:
        for record in read_corpus(dataset):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    start = time.perf_counter()
    report, sync = context.ingest([source], progress=sys.stderr.isatty())
    total = time.perf_counter() - start
    print(
        f"ingest: {len(report.added)} added, {len(report.unchanged)} unchanged, "
        f"{len(report.failed)} failed, {report.chunks_written} chunks"
    )
    print(
        f"index time: {total:.1f} s (read, store, embed and index; {sync.embedded} chunks embedded)"
    )


def evaluate(
    context: Context, queries: dict[str, str], qrels: dict[str, dict[str, int]], mode: str
) -> dict[str, float]:
    ndcg, recall, mrr, latency = [], [], [], []
    for query_id, relevant in qrels.items():
        start = time.perf_counter()
        hits = context.search.search(queries[query_id], top_k=100, mode=mode)
        latency.append((time.perf_counter() - start) * 1000)
        ranked = [corpus_id(hit.source_id) for hit in hits]
        ndcg.append(ndcg_at(ranked, relevant))
        recall.append(recall_at(ranked, relevant))
        mrr.append(mrr_at(ranked, relevant))
    n = len(ndcg)
    return {
        "ndcg@10": sum(ndcg) / n,
        "recall@100": sum(recall) / n,
        "mrr@10": sum(mrr) / n,
        "p50_ms": percentile(latency, 50),
        "p95_ms": percentile(latency, 95),
    }


def ann_recall(context: Context, queries: list[str]) -> float:
    """recall@10 of an HNSW graph over this corpus's real vectors against exact search."""
    exact = context.indexes.generation().vector
    graph = VectorIndex(exact.dim, exact.model_id, approximate_threshold=1)
    graph.add(exact.ids(), exact.vectors())
    vectors = np.vstack([context.embedder.encode_query(q) for q in queries])
    return recall_at_k(graph, vectors, k=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--home", type=Path, help="data folder to reuse (default: a fresh one)")
    parser.add_argument("--modes", default="hybrid,keyword,semantic")
    parser.add_argument("--alpha", type=float, help="hybrid semantic weight (KB_HYBRID_ALPHA)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "home"
        overrides = {"hybrid_alpha": args.alpha} if args.alpha is not None else {}
        context = Context(Settings(home=home, **overrides))
        ingest(context, args.dataset, Path(tmp))
        queries = read_queries(args.dataset)
        qrels = read_qrels(args.dataset, args.split)
        print(
            f"{args.dataset.name} {args.split}: {len(qrels)} queries, model "
            f"{context.embedder.model_id}, alpha {context.search.alpha}"
        )
        print(
            f"{'mode':10s} {'nDCG@10':>8s} {'R@100':>8s} {'MRR@10':>8s} {'p50 ms':>8s} "
            f"{'p95 ms':>8s}"
        )
        for mode in args.modes.split(","):
            m = evaluate(context, queries, qrels, mode)
            print(
                f"{mode:10s} {m['ndcg@10']:8.4f} {m['recall@100']:8.4f} {m['mrr@10']:8.4f} "
                f"{m['p50_ms']:8.1f} {m['p95_ms']:8.1f}"
            )
        recall = ann_recall(context, [queries[q] for q in qrels])
        print(
            f"HNSW (M=32, efSearch=96) recall@10 against exact search on these vectors: "
            f"{recall:.4f}"
        )


if __name__ == "__main__":
    main()
