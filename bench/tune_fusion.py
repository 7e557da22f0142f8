"""Tune hybrid fusion on a BEIR split (use train; report test with eval_beir.py).

    .venv/bin/python bench/tune_fusion.py ../shared/eval/scifact --home DIR [--split train]

Needs a data folder where eval_beir.py already ingested the dataset. Fetches each query's
keyword and semantic candidates once, then scores fusion variants offline: convex combination
(min-max / z-score) over a range of alphas, and reciprocal rank fusion.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.context import Context  # noqa: E402
from bench.beir import corpus_id, ndcg_at, read_qrels, read_queries  # noqa: E402
from bench.evaluation import group_max, reciprocal_rank_fusion  # noqa: E402
from kb.config import Settings  # noqa: E402
from search.fusion import convex_combination  # noqa: E402
from search.tokenize import tokenize  # noqa: E402

Ranking = list[tuple[int, float]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--split", default="train")
    parser.add_argument("--candidates", type=int, default=100)
    args = parser.parse_args()
    context = Context(Settings(home=args.home))
    indexes = context.indexes.generation()
    queries, qrels = read_queries(args.dataset), read_qrels(args.dataset, args.split)
    source = {d.id: corpus_id(d.source_id) for d in indexes.catalog.docs.values()}
    chunk_doc = indexes.catalog.chunk_doc
    runs: list[tuple[Ranking, Ranking, dict[str, int]]] = []
    for query_id, relevant in qrels.items():
        text = queries[query_id]
        keyword = indexes.keyword.search(tokenize(text), args.candidates, None)
        semantic = indexes.vector.search(context.embedder.encode_query(text), args.candidates, None)
        runs.append((keyword, semantic, relevant))

    def score(fuse: Callable[[Ranking, Ranking], Ranking], docs_first: bool = False) -> float:
        total = 0.0
        for keyword, semantic, relevant in runs:
            if docs_first:
                keyword, semantic = group_max(keyword, chunk_doc), group_max(semantic, chunk_doc)
                ranked = [source[d] for d, _ in fuse(keyword, semantic)]
            else:
                ranked = [source[d] for d, _ in group_max(fuse(keyword, semantic), chunk_doc)]
            total += ndcg_at(ranked, relevant)
        return total / len(runs)

    print(f"{len(runs)} queries ({args.split}); nDCG@10")
    print(f"keyword only   {score(lambda k, s: k):.4f}")
    print(f"semantic only  {score(lambda k, s: s):.4f}")
    for docs_first in (False, True):
        level = "doc " if docs_first else "chunk"
        for method in ("minmax", "zscore"):
            row = []
            for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                value = score(
                    lambda k, s, a=alpha, m=method: convex_combination(k, s, a, m), docs_first
                )
                row.append(f"{alpha:.1f}:{value:.4f}")
            print(f"{level} {method:7s} " + " ".join(row))
        for k in (10, 60):
            value = score(lambda kw, s, k=k: reciprocal_rank_fusion([kw, s], k=k), docs_first)
            print(f"{level} rrf k={k:<3d} {value:.4f}")


if __name__ == "__main__":
    main()
