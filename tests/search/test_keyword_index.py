"""KeywordIndex against a plain-Python BM25 on random corpora, through adds, removals,
re-adds, merges and save/load."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kb.errors import IndexMismatch, InvalidInput
from search import keyword
from search.keyword import KeywordIndex

K1, B = 0.9, 0.4
VOCAB = [f"t{i}" for i in range(40)]


def reference_scores(docs: dict[int, list[str]], query: list[str]) -> dict[int, float]:
    """BM25, Lucene idf, straight from the formula; only positive scores."""
    n = len(docs)
    avgdl = sum(map(len, docs.values())) / n
    df = Counter(term for tokens in docs.values() for term in set(tokens))
    scores = {}
    for chunk_id, tokens in docs.items():
        tf = Counter(tokens)
        score = 0.0
        for term, count in Counter(query).items():
            if tf[term]:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                norm = K1 * (1 - B + B * len(tokens) / avgdl)
                score += count * idf * tf[term] * (K1 + 1) / (tf[term] + norm)
        if score > 0:
            scores[chunk_id] = score
    return scores


def assert_matches_reference(
    index: KeywordIndex, docs: dict[int, list[str]], rng: np.random.Generator, k: int = 10
) -> None:
    """Same scores in the same order; an id may only swap with one of equal score."""
    for _ in range(30):
        query = random_tokens(rng, int(rng.integers(1, 6)))
        expected = reference_scores(docs, query)
        best = sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:k]
        got = index.search(query, k)
        assert len(got) == len(best)
        for (chunk_id, score), (_, expected_score) in zip(got, best, strict=True):
            assert score == pytest.approx(expected_score, abs=1e-5)
            assert score == pytest.approx(expected[chunk_id], abs=1e-5)


def random_tokens(rng: np.random.Generator, size: int) -> list[str]:
    """Zipf-like draws, so some terms are common and some rare."""
    weights = 1 / np.arange(1, len(VOCAB) + 1)
    return list(rng.choice(VOCAB, size=size, p=weights / weights.sum()))


def random_corpus(rng: np.random.Generator, ids: range) -> dict[int, list[str]]:
    return {i: random_tokens(rng, int(rng.integers(0, 30))) for i in ids}


@pytest.fixture(params=[10, 10**9], ids=["merge-often", "delta-only"])
def merge_threshold(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword, "MIN_DELTA", request.param)


@pytest.mark.usefixtures("merge_threshold")
def test_matches_reference_after_adds_in_batches() -> None:
    rng = np.random.default_rng(1)
    docs = random_corpus(rng, range(300))
    index = KeywordIndex(K1, B)
    items = list(docs.items())
    for start in range(0, len(items), 37):
        index.add(items[start : start + 37])
    assert len(index) == 300
    assert_matches_reference(index, docs, rng)


@pytest.mark.usefixtures("merge_threshold")
def test_matches_reference_after_removals_and_re_adds() -> None:
    rng = np.random.default_rng(2)
    docs = random_corpus(rng, range(300))
    index = KeywordIndex(K1, B)
    index.add(docs.items())
    removed = [int(i) for i in rng.choice(300, 90, replace=False)]
    index.remove(removed + [10_000])  # an unknown id is ignored
    for chunk_id in removed:
        del docs[chunk_id]
    assert_matches_reference(index, docs, rng)
    changed = random_corpus(rng, range(250, 350))  # re-adds, replacements and new ids
    index.add(changed.items())
    docs.update(changed)
    assert len(index) == len(docs)
    assert sorted(index.ids().tolist()) == sorted(docs)
    assert_matches_reference(index, docs, rng)


@pytest.mark.usefixtures("merge_threshold")
def test_matches_reference_after_save_and_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    docs = random_corpus(rng, range(200))
    index = KeywordIndex(K1, B)
    index.add(docs.items())
    index.remove(range(0, 200, 7))
    docs = {i: tokens for i, tokens in docs.items() if i % 7}
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert (loaded.k1, loaded.b) == (K1, B)
    assert_matches_reference(loaded, docs, rng)
    more = random_corpus(rng, range(200, 260))
    loaded.add(more.items())
    docs.update(more)
    assert_matches_reference(loaded, docs, rng)


def test_allowed_restricts_results() -> None:
    rng = np.random.default_rng(4)
    docs = random_corpus(rng, range(200))
    index = KeywordIndex(K1, B)
    index.add(docs.items())
    allowed = np.arange(0, 200, 3)
    query = ["t0", "t5"]
    expected = {
        i: s for i, s in reference_scores(docs, query).items() if i in set(allowed.tolist())
    }
    got = index.search(query, 1000, allowed=allowed)
    assert {i for i, _ in got} == set(expected)
    for chunk_id, score in got:
        assert score == pytest.approx(expected[chunk_id], abs=1e-5)
    assert index.search(query, 10, allowed=np.array([], np.int64)) == []


def test_only_positive_scores_and_unknown_terms() -> None:
    index = KeywordIndex()
    index.add([(1, ["a", "b"]), (2, ["c"]), (3, [])])
    assert [i for i, _ in index.search(["a"], 10)] == [1]
    assert index.search(["zzz"], 10) == []
    assert index.search([], 10) == []
    assert index.search(["a"], 0) == []


def test_repeated_query_term_counts_twice() -> None:
    index = KeywordIndex()
    index.add([(1, ["a", "x"]), (2, ["b", "x"]), (3, ["c"])])
    once = dict(index.search(["a", "b"], 10))
    twice = dict(index.search(["a", "a", "b"], 10))
    assert twice[1] == pytest.approx(2 * once[1])
    assert twice[2] == pytest.approx(once[2])


def test_replacing_a_chunk_drops_its_old_tokens() -> None:
    index = KeywordIndex()
    index.add([(1, ["old"]), (2, ["other"])])
    index.add([(1, ["new"])])
    assert index.search(["old"], 10) == []
    assert [i for i, _ in index.search(["new"], 10)] == [1]
    assert len(index) == 2


def test_invalid_arguments() -> None:
    with pytest.raises(InvalidInput):
        KeywordIndex(b=1.5)
    with pytest.raises(InvalidInput, match="k must be"):
        KeywordIndex().search(["a"], -1)


def test_load_of_missing_index_is_empty(tmp_path: Path) -> None:
    assert len(KeywordIndex.load(tmp_path)) == 0


def test_save_replaces_atomically_and_leaves_no_temp_file(tmp_path: Path) -> None:
    index = KeywordIndex()
    index.add([(1, ["a"])])
    index.save(tmp_path)
    index.add([(2, ["b"])])
    index.save(tmp_path)
    assert [p.name for p in (tmp_path / "keyword").iterdir()] == [keyword.FILENAME]
    assert len(KeywordIndex.load(tmp_path)) == 2


def test_failed_save_keeps_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = KeywordIndex()
    index.add([(1, ["a"])])
    index.save(tmp_path)
    index.add([(2, ["b"])])

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(keyword.os, "replace", crash)
    with pytest.raises(OSError):
        index.save(tmp_path)
    monkeypatch.undo()
    assert KeywordIndex.load(tmp_path).ids().tolist() == [1]


def test_corrupt_index_says_to_reindex(tmp_path: Path) -> None:
    (tmp_path / "keyword").mkdir()
    (tmp_path / "keyword" / keyword.FILENAME).write_bytes(b"not a zip file")
    with pytest.raises(IndexMismatch, match="kb reindex"):
        KeywordIndex.load(tmp_path)
