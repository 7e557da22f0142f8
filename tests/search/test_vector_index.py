"""VectorIndex contract, run in exact and HNSW mode against a brute-force NumPy reference."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from bench.evaluation import recall_at_k
from kb.errors import IndexMismatch, InvalidInput
from search import vector_index
from search.vector_index import VectorIndex

DIM = 32
MODEL = "test-model"


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def reference(vectors: dict[int, np.ndarray], query: np.ndarray, k: int) -> list[int]:
    ids = np.array(list(vectors))
    scores = np.stack(list(vectors.values())) @ unit(query)
    return ids[np.argsort(-scores)[:k]].tolist()


def matches_reference(
    index: VectorIndex, vectors: dict[int, np.ndarray], queries: np.ndarray, k: int = 10
) -> float:
    """Share of the reference top k found; 1.0 required in exact mode."""
    found = [
        len({i for i, _ in index.search(q, k)} & set(reference(vectors, q, k))) / k for q in queries
    ]
    return float(np.mean(found))


@pytest.fixture(params=["exact", "hnsw"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def new_index(mode: str) -> VectorIndex:
    threshold = 10**9 if mode == "exact" else 50
    return VectorIndex(DIM, MODEL, approximate_threshold=threshold)


@pytest.fixture
def data() -> tuple[dict[int, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = unit(rng.standard_normal((3000, DIM)))
    queries = unit(rng.standard_normal((40, DIM)))
    return {1000 + i: v for i, v in enumerate(vectors)}, queries


def filled(mode: str, vectors: dict[int, np.ndarray]) -> VectorIndex:
    index = new_index(mode)
    index.add(np.array(list(vectors)), np.stack(list(vectors.values())))
    assert index.approximate == (mode == "hnsw")
    return index


def required_recall(mode: str) -> float:
    return 1.0 if mode == "exact" else 0.95


def test_search_matches_brute_force(mode: str, data: tuple) -> None:
    vectors, queries = data
    index = filled(mode, vectors)
    assert len(index) == 3000
    assert matches_reference(index, vectors, queries) >= required_recall(mode)
    assert recall_at_k(index, queries) >= required_recall(mode)
    top_id, top_score = index.search(queries[0], 1)[0]
    assert top_score == pytest.approx(float(vectors[top_id] @ queries[0]), abs=1e-5)


def test_exact_search_equals_brute_force_in_both_modes(mode: str, data: tuple) -> None:
    vectors, queries = data
    index = filled(mode, vectors)
    for query in queries[:10]:
        assert [i for i, _ in index.search_exact(query, 10)] == reference(vectors, query, 10)


def test_results_are_best_first(mode: str, data: tuple) -> None:
    vectors, queries = data
    scores = [s for _, s in filled(mode, vectors).search(queries[0], 20)]
    assert scores == sorted(scores, reverse=True)


def test_adding_an_existing_id_replaces_its_vector(mode: str, data: tuple) -> None:
    vectors, queries = data
    index = filled(mode, vectors)
    index.add(np.array([1000, 1000]), np.stack([queries[1], queries[0]]))  # the last one wins
    assert len(index) == 3000
    assert index.search(queries[0], 1)[0][0] == 1000
    assert index.search(queries[0], 1)[0][1] == pytest.approx(1.0, abs=1e-5)
    assert 1000 not in [i for i, _ in index.search(queries[1], 5)]


@pytest.mark.parametrize("share", [0.1, 0.4], ids=["tombstones", "compaction"])
def test_removed_ids_are_never_returned(mode: str, data: tuple, share: float) -> None:
    vectors, queries = data
    index = filled(mode, vectors)
    removed = set(list(vectors)[: int(share * len(vectors))])
    index.remove(np.array(sorted(removed)))
    index.remove([5])  # unknown: ignored
    for chunk_id in removed:
        del vectors[chunk_id]
    assert len(index) == len(vectors)
    assert set(index.ids().tolist()) == set(vectors)
    for query in queries:
        assert not {i for i, _ in index.search(query, 50)} & removed
    assert matches_reference(index, vectors, queries) >= required_recall(mode)


@pytest.mark.parametrize("size", [30, 1500], ids=["small-subset", "large-subset"])
def test_allowed_restricts_results(
    mode: str, data: tuple, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_index, "SMALL_SUBSET", 100)  # so 1,500 goes through the graph
    vectors, queries = data
    index = filled(mode, vectors)
    allowed = np.array(list(vectors)[:size])
    subset = {i: vectors[i] for i in allowed.tolist()}
    for query in queries[:10]:
        got = [i for i, _ in index.search(query, 10, allowed=allowed)]
        assert set(got) <= set(subset)
    assert matches_reference_allowed(index, subset, queries, allowed) >= required_recall(mode)
    assert index.search(queries[0], 10, allowed=np.array([], np.int64)) == []


def matches_reference_allowed(
    index: VectorIndex, subset: dict[int, np.ndarray], queries: np.ndarray, allowed: np.ndarray
) -> float:
    found = [
        len({i for i, _ in index.search(q, 10, allowed)} & set(reference(subset, q, 10))) / 10
        for q in queries
    ]
    return float(np.mean(found))


def test_save_and_load_round_trip(mode: str, data: tuple, tmp_path: Path) -> None:
    vectors, queries = data
    index = filled(mode, vectors)
    index.remove(list(vectors)[:100])  # tombstones survive the round trip
    index.save(tmp_path)
    sidecar = json.loads((tmp_path / "vectors" / "index.json").read_text())
    assert sidecar == {
        "model": MODEL,
        "dim": DIM,
        "count": 2900,
        "approximate": mode == "hnsw",
        "format": 1,
    }
    assert (tmp_path / "vectors" / "hnsw.faiss").exists() == (mode == "hnsw")
    threshold = index.approximate_threshold
    loaded = VectorIndex.load(tmp_path, MODEL, DIM, approximate_threshold=threshold)
    assert loaded.approximate == index.approximate
    assert set(loaded.ids().tolist()) == set(index.ids().tolist())
    for query in queries:
        assert loaded.search(query, 10) == index.search(query, 10)


def test_load_reads_the_graph_instead_of_rebuilding(
    data: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors, _ = data
    filled("hnsw", vectors).save(tmp_path)

    def no_build(*args: object) -> None:
        raise AssertionError("the HNSW graph was rebuilt on load")

    monkeypatch.setattr(vector_index.faiss, "IndexHNSWFlat", no_build)
    assert VectorIndex.load(tmp_path, MODEL, DIM, approximate_threshold=50).approximate


def test_crossing_the_threshold_switches_mode() -> None:
    rng = np.random.default_rng(3)
    index = VectorIndex(DIM, MODEL, approximate_threshold=100)
    index.add(np.arange(99), unit(rng.standard_normal((99, DIM))))
    assert not index.approximate
    index.add(np.array([99]), unit(rng.standard_normal((1, DIM))))
    assert index.approximate
    index.remove(range(60))
    assert not index.approximate


def test_a_new_version_builds_its_graph_aside(data: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica applying a compaction (a fifth of the rows removed) does not wait for the new
    HNSW graph: `evolved` returns while the graph is built in a thread (held here until
    released), the new version searches exactly meanwhile, the old one keeps its graph, and
    the new version adopts its graph once it is ready."""
    vectors, queries = data
    old = filled("hnsw", vectors)
    release = threading.Event()
    builders: list[str] = []
    real = vector_index.faiss.IndexHNSWFlat

    def held(*args: object) -> object:
        builders.append(threading.current_thread().name)
        assert release.wait(30), "the graph build was never released"
        return real(*args)

    monkeypatch.setattr(vector_index.faiss, "IndexHNSWFlat", held)
    gone = list(vectors)[: len(vectors) // 4]
    new = old.evolved(gone, np.empty(0, np.int64), np.empty((0, DIM), np.float32))
    kept = {i: v for i, v in vectors.items() if i not in set(gone)}
    assert not new.approximate and old.approximate  # building aside; the old graph serves
    assert matches_reference(new, kept, queries) == 1.0
    assert matches_reference(old, vectors, queries) >= 0.95
    release.set()
    new.wait_for_graph()
    assert builders == ["hnsw-build"] and new.approximate
    assert matches_reference(new, kept, queries) >= 0.95
    assert not {i for q in queries for i, _ in new.search(q, 10)} & set(gone)


@pytest.mark.parametrize(
    ("model", "dim", "message"),
    [
        (
            "other-model",
            DIM,
            "built with model 'test-model' .dim 32. but the configured model "
            "is 'other-model' .dim 32.; run `kb reindex`",
        ),
        (MODEL, 64, "configured model is 'test-model' .dim 64."),
    ],
)
def test_load_refuses_another_model(tmp_path: Path, model: str, dim: int, message: str) -> None:
    index = VectorIndex(DIM, MODEL)
    index.add(np.array([1]), np.ones((1, DIM)))
    index.save(tmp_path)
    with pytest.raises(IndexMismatch, match=message):
        VectorIndex.load(tmp_path, model, dim)


def test_load_of_missing_index_is_empty(tmp_path: Path) -> None:
    index = VectorIndex.load(tmp_path, MODEL, DIM)
    assert len(index) == 0
    assert index.search(np.ones(DIM), 5) == []


@pytest.mark.parametrize("damaged", ["index.json", "vectors.npy", "ids.npy"])
def test_corrupt_index_says_to_reindex(tmp_path: Path, damaged: str) -> None:
    index = VectorIndex(DIM, MODEL)
    index.add(np.array([1, 2]), np.ones((2, DIM)))
    index.save(tmp_path)
    (tmp_path / "vectors" / damaged).write_bytes(b"garbage")
    with pytest.raises(IndexMismatch, match="kb reindex"):
        VectorIndex.load(tmp_path, MODEL, DIM)


def test_failed_save_keeps_the_previous_index(
    data: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors, _ = data
    index = filled("hnsw", vectors)
    index.save(tmp_path)
    index.remove(list(vectors)[:10])

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(vector_index.faiss, "write_index", crash)
    with pytest.raises(OSError):
        index.save(tmp_path)
    monkeypatch.undo()
    assert len(VectorIndex.load(tmp_path, MODEL, DIM, approximate_threshold=50)) == 3000


def test_save_interrupted_between_renames_is_recovered(tmp_path: Path) -> None:
    index = VectorIndex(DIM, MODEL)
    index.add(np.array([1]), np.ones((1, DIM)))
    index.save(tmp_path)
    os.replace(tmp_path / "vectors", tmp_path / ".vectors.old-123")  # as if killed mid-swap
    assert VectorIndex.load(tmp_path, MODEL, DIM).ids().tolist() == [1]


def test_invalid_input() -> None:
    index = VectorIndex(DIM, MODEL)
    with pytest.raises(InvalidInput, match="dimension 32"):
        index.add(np.array([1]), np.ones((1, 8)))
    with pytest.raises(InvalidInput, match="non-negative"):
        index.add(np.array([-1]), np.ones((1, DIM)))
    with pytest.raises(InvalidInput, match="finite"):
        index.add(np.array([1]), np.full((1, DIM), np.nan))
    with pytest.raises(InvalidInput, match="dimension 32"):
        index.search(np.ones(8), 5)
    with pytest.raises(InvalidInput, match="k must be"):
        index.search(np.ones(DIM), -1)
