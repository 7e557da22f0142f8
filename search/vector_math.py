"""Vector arithmetic for the vector index: inner products, top-k selection, FAISS threading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np


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
