"""Vector arithmetic for the vector index: inner products, top-k selection, FAISS threading,
and recall of an approximate index against exact search."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import faiss
import numpy as np

if TYPE_CHECKING:
    from search.vector_index import VectorIndex


def recall_at_k(index: VectorIndex, queries: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top `k` that `index.search` also returns."""
    shares = []
    for query in np.atleast_2d(queries):
        exact = {i for i, _ in index.search_exact(query, k)}
        if exact:
            found = {i for i, _ in index.search(query, k)}
            shares.append(len(exact & found) / len(exact))
    return float(np.mean(shares)) if shares else 1.0


def inner_products(vectors: np.ndarray, q: np.ndarray) -> np.ndarray:
    """`vectors @ q` by FAISS's single-threaded SIMD kernel: for one query, BLAS threads cost
    more than they save (2-8x slower on a busy 2-core machine)."""
    vectors = np.ascontiguousarray(vectors)
    out = np.empty(len(vectors), np.float32)
    if len(vectors):
        faiss.fvec_inner_products_ny(  # type: ignore[attr-defined]
            faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(vectors), len(q), len(out)
        )
    return out


def best_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` highest scores, best first (1 <= k <= len(scores)). The k-th best
    of an evenly spaced sample is a floor under the k-th best overall, so only the few
    scores above it need a partition."""
    candidates = np.arange(len(scores))
    step = len(scores) // (64 * k)
    if step >= 2:
        sample = scores[::step]
        floor = np.partition(sample, len(sample) - k)[len(sample) - k]
        candidates = np.flatnonzero(scores >= floor)
    best = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    return best[np.argsort(-scores[best], kind="stable")]


@contextmanager
def omp_threads(count: int) -> Iterator[None]:
    """Run FAISS with `count` OpenMP threads: one for a single query, all cores to build."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
