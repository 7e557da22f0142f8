"""Fusion on small hand-worked examples; expected values come from the formulas."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench.evaluation import group_max, reciprocal_rank_fusion
from kb.errors import InvalidInput
from search.fusion import convex_combination, normalise

KEYWORD = [(1, 10.0), (2, 6.0), (3, 2.0)]
SEMANTIC = [(3, 0.9), (4, 0.5), (1, 0.1)]
OTHER = [(3, 0.9), (1, 0.8), (4, 0.7)]
# Both lists are evenly spaced, so z-scores are +z, 0, -z with
# z = (10 - 6) / sqrt(((10-6)^2 + 0 + (2-6)^2) / 3) = 4 / sqrt(32 / 3) = sqrt(1.5).
Z = math.sqrt(1.5)


def approx(ranking: list[tuple[int, float]]) -> list[tuple[int, Any]]:
    return [(key, pytest.approx(score)) for key, score in ranking]


def test_rrf_sums_reciprocal_ranks() -> None:
    # id 1: ranks 1 and 2 -> 1/61 + 1/62;  id 3: ranks 3 and 1 -> 1/63 + 1/61
    # id 2: rank 2 only -> 1/62;           id 4: rank 3 only -> 1/63
    fused = reciprocal_rank_fusion([KEYWORD, OTHER])
    assert fused == approx([(1, 1 / 61 + 1 / 62), (3, 1 / 63 + 1 / 61), (2, 1 / 62), (4, 1 / 63)])


def test_rrf_weights_and_k() -> None:
    # k = 0, weights 2 and 1: id 1 -> 2/1 + 1/2; id 3 -> 2/3 + 1/1; id 2 -> 2/2; id 4 -> 1/3
    fused = reciprocal_rank_fusion([KEYWORD, OTHER], k=0, weights=[2.0, 1.0])
    assert fused == approx([(1, 2.5), (3, 2 / 3 + 1), (2, 1.0), (4, 1 / 3)])


def test_rrf_ties_keep_first_seen_order() -> None:
    # SEMANTIC puts 1 at rank 3 and 3 at rank 1: both score 1/61 + 1/63; 2 and 4 both 1/62
    fused = reciprocal_rank_fusion([KEYWORD, SEMANTIC])
    assert [key for key, _ in fused] == [1, 3, 2, 4]


def test_rrf_counts_a_repeated_id_once_at_its_best_rank() -> None:
    # id 7 at ranks 1 and 3 -> 1/61 only; id 8 at rank 2 -> 1/62
    assert reciprocal_rank_fusion([[(7, 3.0), (8, 2.0), (7, 1.0)]]) == approx(
        [(7, 1 / 61), (8, 1 / 62)]
    )


def test_rrf_rejects_mismatched_weights() -> None:
    with pytest.raises(InvalidInput, match="2 weights for 1 rankings"):
        reciprocal_rank_fusion([KEYWORD], weights=[1.0, 2.0])


def test_minmax() -> None:
    # (s - 2) / (10 - 2)
    assert normalise(KEYWORD, "minmax") == {1: 1.0, 2: 0.5, 3: 0.0}


def test_zscore() -> None:
    # (s - 6) / sqrt(32 / 3)
    assert normalise(KEYWORD, "zscore") == pytest.approx({1: Z, 2: 0.0, 3: -Z})


def test_normalise_degenerate_lists() -> None:
    assert normalise([], "minmax") == {}
    assert normalise([(1, 3.0), (2, 3.0)], "minmax") == {1: 1.0, 2: 1.0}
    assert normalise([(1, 3.0), (2, 3.0)], "zscore") == {1: 0.0, 2: 0.0}
    with pytest.raises(InvalidInput, match="unknown normalisation"):
        normalise(KEYWORD, "rank")  # type: ignore[arg-type]


def test_convex_combination_minmax() -> None:
    # keyword {1: 1, 2: .5, 3: 0}, semantic {3: 1, 4: .5, 1: 0}, missing -> 0; alpha = .7:
    # 1 -> .7*0 + .3*1 = .3;  2 -> .7*0 + .3*.5 = .15;  3 -> .7*1 + .3*0 = .7;  4 -> .7*.5 = .35
    fused = convex_combination(KEYWORD, SEMANTIC, alpha=0.7)
    assert fused == approx([(3, 0.7), (4, 0.35), (1, 0.3), (2, 0.15)])


@pytest.mark.parametrize("keyword", [[(7, 3.2)], [(7, 3.2), (8, 3.2)]])
def test_convex_combination_minmax_gives_ids_missing_from_a_one_score_list_zero(
    keyword: list[tuple[int, float]],
) -> None:
    """A product code only one chunk contains: its sole (or tied) keyword hits normalise to 1,
    and the chunks the keyword index did not return must get 0, not that same 1.
    7 -> .5*0 + .5*1 = .5 (semantic 7 is the lowest: 0);  3 -> .5*1 + .5*0 = .5 (first seen
    after 7);  4 -> .5*.5 = .25;  8 (if listed) -> .5*0 + .5*1 = .5."""
    semantic = [(3, 0.9), (4, 0.5), (7, 0.1)]
    fused = dict(convex_combination(keyword, semantic, alpha=0.5))
    assert fused[7] == pytest.approx(0.5) and fused[4] == pytest.approx(0.25)
    assert fused[3] == pytest.approx(0.5)


def test_convex_combination_zscore_fills_missing_with_the_lowest() -> None:
    # keyword {1: Z, 2: 0, 3: -Z}, semantic {3: Z, 4: 0, 1: -Z}; missing -> -Z; alpha = .6:
    # 1 -> .6*(-Z) + .4*Z = -.2Z;  2 -> .6*(-Z) + .4*0 = -.6Z
    # 3 -> .6*Z + .4*(-Z) = .2Z;   4 -> .6*0 + .4*(-Z) = -.4Z
    fused = convex_combination(KEYWORD, SEMANTIC, alpha=0.6, method="zscore")
    assert fused == approx([(3, 0.2 * Z), (1, -0.2 * Z), (4, -0.4 * Z), (2, -0.6 * Z)])


@pytest.mark.parametrize(("alpha", "order"), [(0.0, [1, 2, 3, 4]), (1.0, [3, 4, 1, 2])])
def test_convex_combination_extremes_follow_one_list(alpha: float, order: list[int]) -> None:
    # alpha 0: keyword only (4 missing -> 0, after 3 which also has 0 but came first);
    # alpha 1: semantic only (2 missing -> 0, after 1)
    assert [key for key, _ in convex_combination(KEYWORD, SEMANTIC, alpha)] == order


def test_convex_combination_rejects_alpha_outside_0_1() -> None:
    with pytest.raises(InvalidInput, match="alpha"):
        convex_combination(KEYWORD, SEMANTIC, alpha=1.5)


def test_convex_combination_of_empty_lists() -> None:
    assert convex_combination([], [], alpha=0.5) == []
    assert convex_combination(KEYWORD, [], alpha=0.5) == approx([(1, 0.5), (2, 0.25), (3, 0.0)])


def test_group_max_keeps_each_documents_best_chunk() -> None:
    ranking = [(10, 0.9), (11, 0.8), (20, 0.7), (12, 0.6), (30, 0.5), (99, 0.4)]
    group_of = {10: 1, 11: 1, 12: 1, 20: 2, 30: 3}  # 99 has no document: skipped
    assert group_max(ranking, group_of) == [(1, 0.9), (2, 0.7), (3, 0.5)]


def test_group_max_of_an_unsorted_ranking_sorts_by_the_max() -> None:
    assert group_max([(20, 0.5), (10, 0.9), (21, 0.95)], {20: 2, 21: 2, 10: 1}) == [
        (2, 0.95),
        (1, 0.9),
    ]
