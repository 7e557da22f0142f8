"""Score fusion: pure functions over rankings, lists of (id, score) best first.

Ties keep the order in which ids were first seen (the first ranking or argument first).
"""

from __future__ import annotations

import math
from collections.abc import Container, Mapping, Sequence
from typing import Literal

from kb.errors import InvalidInput

Ranking = Sequence[tuple[int, float]]
Method = Literal["minmax", "zscore"]


def normalise(ranking: Ranking, method: Method = "minmax") -> dict[int, float]:
    """Scores rescaled: `minmax` to [0, 1] (all 1.0 when equal), or `zscore` to mean 0 and
    standard deviation 1 (all 0.0 when equal)."""
    if method not in ("minmax", "zscore"):
        raise InvalidInput(f"unknown normalisation {method!r}; use 'minmax' or 'zscore'")
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    if method == "minmax":
        low, high = min(values), max(values)
        if high == low:
            return {key: 1.0 for key, _ in ranking}
        return {key: (score - low) / (high - low) for key, score in ranking}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std == 0:
        return {key: 0.0 for key, _ in ranking}
    return {key: (score - mean) / std for key, score in ranking}


def convex_combination(
    keyword: Ranking,
    semantic: Ranking,
    alpha: float,
    method: Method = "minmax",
    keyword_only: Container[int] = frozenset(),
) -> list[tuple[int, float]]:
    """`alpha * semantic + (1 - alpha) * keyword` on normalised scores. An id missing from a
    list gets 0 under min-max (the bottom of its range, even when the list holds one id or only
    ties, which normalise to 1), and that list's lowest score under z-score. Ids in
    `keyword_only` (text the model cannot read) score their normalised keyword score alone."""
    if not 0.0 <= alpha <= 1.0:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    lexical, dense = normalise(keyword, method), normalise(semantic, method)
    lexical_floor = _floor(lexical, method)
    dense_floor = _floor(dense, method)
    scores = {
        key: alpha * dense.get(key, dense_floor) + (1 - alpha) * lexical.get(key, lexical_floor)
        for key in {**lexical, **dense}
    }
    for key in [key for key in scores if key in keyword_only]:
        if key in lexical:
            scores[key] = lexical[key]
        else:
            del scores[key]
    return _ordered(scores)


def one_signal(ranking: Ranking) -> list[tuple[int, float]]:
    """A ranking from one signal alone (keyword-only or semantic-only search) on the scale
    fused rankings use: min-max to [0, 1], order kept. A Chinese keyword search and a mixed
    hybrid one then score on one scale, not raw BM25 (14.0) against 0-1."""
    return _ordered(normalise(ranking))


def _floor(normalised: Mapping[int, float], method: Method) -> float:
    return 0.0 if method == "minmax" else min(normalised.values(), default=0.0)


def _ordered(scores: dict[int, float]) -> list[tuple[int, float]]:
    """Best first; the sort is stable, so ties keep insertion order."""
    return sorted(scores.items(), key=lambda item: -item[1])
