"""Helpers only the benchmarks use (they are not part of kb's search): reciprocal rank fusion
and document roll-up for tuning fusion, and the recall of an approximate vector index."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from kb.errors import InvalidInput
from search.fusion import Ranking
from search.vector_index import VectorIndex


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """RRF: each id scores the sum over rankings of `weight / (k + rank)`, ranks from 1.

    An id listed twice in one ranking counts once, at its better rank.
    """
    if k < 0:
        raise InvalidInput(f"RRF k must be at least 0, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise InvalidInput(f"got {len(weights)} weights for {len(rankings)} rankings")
    scores: dict[int, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        seen: set[int] = set()
        for rank, (key, _) in enumerate(ranking, start=1):
            if key not in seen:
                seen.add(key)
                scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return _ordered(scores)


def group_max(ranking: Ranking, group_of: Mapping[int, int]) -> list[tuple[int, float]]:
    """Chunk scores rolled up to their group (document) by max, best first; chunks without a
    group are skipped."""
    best: dict[int, float] = {}
    for key, score in ranking:
        group = group_of.get(key)
        if group is not None and score > best.get(group, -math.inf):
            best[group] = score
    return _ordered(best)


def recall_at_k(index: VectorIndex, queries: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top `k` that `index.search` also returns."""
    shares = []
    for query in np.atleast_2d(queries):
        exact = {i for i, _ in index.search_exact(query, k)}
        if exact:
            found = {i for i, _ in index.search(query, k)}
            shares.append(len(exact & found) / len(exact))
    return float(np.mean(shares)) if shares else 1.0


def _ordered(scores: dict[int, float]) -> list[tuple[int, float]]:
    """Best first; ties keep insertion order (as search.fusion orders)."""
    return sorted(scores.items(), key=lambda item: -item[1])
