"""Vector index over chunk ids: inner product on L2-normalised float32 vectors, with FAISS.

The vectors and ids are kept in NumPy arrays, one row per added vector; a removed row keeps its
place with id -1 (a tombstone) until the rows are compacted. Below `approximate_threshold` live
vectors, search is exact (a matrix-vector product). At or above it, an HNSW graph whose labels
are row numbers answers searches, with tombstones filtered out by an `IDSelectorBitmap`; the
graph is rebuilt when more than a fifth of its rows are tombstones.

A graph is never changed once built: rows added after it (the tail, up to TAIL_ROWS) are
searched exactly beside it, and a longer tail goes into a copy of the graph. So `evolved` can
make the next version of an index while searches read the current one: the two share the graph
and the vector buffer (the next version writes only past the rows the current one reads).

`evolved` (a replica applying changes) never builds a graph itself: building one over 100,000
rows takes tens of seconds on two cores, which would hold the replica's lag that long. It
starts the build in a thread (a `GraphBuild` over the rows as they are) and returns; until the
graph is ready, searches of that version and of later ones with the same rows go exact (or use
the previous graph plus a longer exact tail), and the first to look once it is ready adopts it.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from kb.errors import IndexMismatch, InvalidInput
from search.index_files import recover_dir, replace_dir
from search.vector_math import best_positions, inner_products, omp_threads

logger = logging.getLogger(__name__)

FORMAT = 1
DEAD = -1
# An `allowed` set is searched exactly when it has at most SMALL_SUBSET rows, or when it is
# under SELECTIVE of the index (where a filtered HNSW search loses recall) and at most
# LARGE_SUBSET rows (gathering the rows costs ~0.5 ms per 1,000).
SMALL_SUBSET = 5_000
SELECTIVE = 0.03
LARGE_SUBSET = 20_000
MAX_DEAD_SHARE = 0.2
TAIL_ROWS = 4096  # rows past the graph searched exactly before the graph is extended


class VectorIndex:
    """Nearest neighbours by cosine similarity; see the module docstring."""

    def __init__(
        self,
        dim: int,
        model_id: str,
        approximate_threshold: int = 50_000,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 96,
    ) -> None:
        if dim <= 0:
            raise InvalidInput(f"vector dimension must be positive, got {dim}")
        self.dim, self.model_id = dim, model_id
        self.approximate_threshold = approximate_threshold
        self.hnsw_m, self.ef_construction, self.ef_search = hnsw_m, ef_construction, ef_search
        self._vectors = np.empty((0, dim), np.float32)  # capacity; rows [:_n] are in use
        self._ids = np.empty(0, np.int64)
        self._n = 0
        self._row_of: dict[int, int] = {}
        self._graph: faiss.Index | None = None  # HNSW; labels are row numbers
        self._pending: GraphBuild | None = None  # a graph over these rows being built aside

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def approximate(self) -> bool:
        """True when searches go through the HNSW graph."""
        return self._current_graph() is not None and len(self) >= self.approximate_threshold

    def wait_for_graph(self) -> None:
        """Wait until a graph being built aside is ready (before saving it, say)."""
        pending = self._pending
        if pending is not None:
            pending.wait()
            self._current_graph()

    def ids(self) -> np.ndarray:
        """Ids of the indexed vectors."""
        ids = self._ids[: self._n]
        return ids[ids != DEAD]

    def vectors(self) -> np.ndarray:
        """The indexed vectors, in the order of `ids()`."""
        live = self._ids[: self._n] != DEAD
        return self._vectors[: self._n][live]

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._row_of

    def evolved(
        self, remove: Iterable[int], add_ids: np.ndarray, add_vectors: np.ndarray
    ) -> VectorIndex:
        """A new index with these changes; this one is left exactly as it was (searches may
        go on reading it while the new one is built)."""
        new = copy.copy(self)
        new._ids = self._ids.copy()
        new._row_of = dict(self._row_of)
        new._drop(list(remove))
        if len(add_ids):
            new._append(add_ids, add_vectors)
        new._maintain(aside=True)
        return new

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Index vectors under `ids`; an id already present is replaced."""
        if self._append(ids, vectors):
            self._maintain()

    def remove(self, ids: Iterable[int]) -> None:
        """Drop these ids; unknown ids are ignored."""
        if self._drop(ids):
            self._maintain()

    def _append(self, ids: np.ndarray, vectors: np.ndarray) -> bool:
        ids = np.asarray(ids, np.int64).reshape(-1)
        if not len(ids):
            return False
        vectors = self._checked(vectors, len(ids))
        if ids.min() < 0:
            raise InvalidInput("vector ids must be non-negative")
        _, last = np.unique(ids[::-1], return_index=True)
        keep = np.sort(len(ids) - 1 - last)
        ids, vectors = ids[keep], vectors[keep]
        self._drop(ids)
        start = self._n
        self._reserve(len(ids))
        self._vectors[start : start + len(ids)] = vectors
        self._ids[start : start + len(ids)] = ids
        self._n += len(ids)
        self._row_of.update(zip(ids.tolist(), range(start, self._n), strict=True))
        return True

    def _drop(self, ids: Iterable[int]) -> bool:
        removed = False
        for chunk_id in ids.tolist() if isinstance(ids, np.ndarray) else ids:
            row = self._row_of.pop(int(chunk_id), None)
            if row is not None:
                self._ids[row] = DEAD
                removed = True
        return removed

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top `k` (id, similarity), best first; only ids in `allowed` when given."""
        return self._search(query, k, allowed, exact=False)

    def search_exact(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """As `search`, always by brute force."""
        return self._search(query, k, allowed, exact=True)

    def _search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, exact: bool
    ) -> list[tuple[int, float]]:
        q = self._checked(query, 1)[0]
        if k < 0:
            raise InvalidInput(f"k must be at least 0, got {k}")
        if k == 0 or not self._row_of:
            return []
        ids = self._ids[: self._n]
        graph = self._current_graph() if len(self) >= self.approximate_threshold else None
        if allowed is None:
            if exact or graph is None:
                return self._exact(q, k, None)
            return self._approximate(graph, q, k, None, 1.0)
        mask = np.isin(ids, np.asarray(allowed, np.int64)) & (ids != DEAD)
        count = int(np.count_nonzero(mask))
        small = count <= SMALL_SUBSET or (count < SELECTIVE * len(self) and count <= LARGE_SUBSET)
        if exact or graph is None or small:
            return self._exact(q, k, np.flatnonzero(mask))
        return self._approximate(graph, q, k, mask, count / len(self))

    def _exact(self, q: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
        """Brute force over `rows` (all live rows when None)."""
        if rows is None:
            rows = np.arange(self._n)
            scores = inner_products(self._vectors[: self._n], q)
            if len(self) < self._n:
                scores[self._ids[: self._n] == DEAD] = -np.inf
        else:
            scores = inner_products(self._vectors[rows], q)
        top = min(k, len(self), len(rows))
        if top == 0:
            return []
        best = best_positions(scores, top)
        return list(zip(self._ids[rows[best]].tolist(), scores[best].tolist(), strict=True))

    def _approximate(
        self, graph: faiss.Index, q: np.ndarray, k: int, mask: np.ndarray | None, share: float
    ) -> list[tuple[int, float]]:
        """HNSW search over the graph's rows (a selective filter gets a wider beam, up to 8x
        efSearch), and exact search over the tail of rows added since the graph was built."""
        built = int(graph.ntotal)
        ef = max(k, int(self.ef_search * min(8.0, max(1.0, 0.2 / share))))
        params = faiss.SearchParametersHNSW(efSearch=ef)  # type: ignore[attr-defined]
        selector, bits = self._selector(mask, built)
        if selector is not None:
            params.sel = selector
        with omp_threads(1):
            scores, rows = graph.search(q[None, :], k, params=params)
        del bits  # the selector read it during the search
        found = rows[0] >= 0
        hits = list(zip(self._ids[rows[0][found]].tolist(), scores[0][found].tolist(), strict=True))
        if built < self._n:
            tail = np.arange(built, self._n)
            keep = mask[built:] if mask is not None else self._ids[built : self._n] != DEAD
            hits += self._exact(q, k, tail[keep]) if keep.any() else []
            hits.sort(key=lambda hit: -hit[1])
        return hits[:k]

    def _selector(
        self, mask: np.ndarray | None, built: int
    ) -> tuple[faiss.IDSelector | None, np.ndarray | None]:
        """A bitmap selector over the graph's rows: `mask`, else the live rows (None when no
        graph row is dead)."""
        if mask is None:
            live = self._ids[:built] != DEAD
            if live.all():
                return None, None
            mask = live
        bits = np.packbits(mask[:built], bitorder="little")
        return faiss.IDSelectorBitmap(built, faiss.swig_ptr(bits)), bits

    def _maintain(self, *, aside: bool = False) -> None:
        """Compact when too many rows are dead; build, copy-and-extend or drop the graph to
        suit (a graph is never changed in place: an older version of the index may use it),
        here or, `aside`, in a thread (see the module docstring)."""
        if self._n - len(self) > MAX_DEAD_SHARE * self._n:
            self._compact()
        graph = self._current_graph()
        if len(self) < self.approximate_threshold // 2:
            self._graph = self._pending = None
            return
        if graph is None and len(self) < self.approximate_threshold:
            return
        if graph is not None and self._n - graph.ntotal <= TAIL_ROWS:
            return
        if not aside:
            self._graph, self._pending = self._build_graph(graph, self._vectors, self._n), None
        elif self._pending is None:  # one build at a time; the next starts once it is adopted
            self._pending = GraphBuild(self, graph, self._vectors, self._n)

    def _build_graph(self, base: faiss.Index | None, vectors: np.ndarray, rows: int) -> faiss.Index:
        """`base` copied (or a new graph) with rows up to `rows` of `vectors` added."""
        graph: faiss.Index
        if base is None:
            graph = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = self.ef_construction
        else:
            graph = faiss.clone_index(base)
        with omp_threads(os.cpu_count() or 1):
            graph.add(vectors[graph.ntotal : rows])
        return graph

    def _current_graph(self) -> faiss.Index | None:
        """The graph, adopting one built aside once it is ready."""
        pending = self._pending
        if pending is not None and pending.done:
            built = pending.graph
            if built is not None and (self._graph is None or built.ntotal > self._graph.ntotal):
                self._graph = built
            self._pending = None  # adopted, or failed (the next change tries again)
        return self._graph

    def _compact(self) -> None:
        """Drop dead rows; the graph, whose labels are rows, must then be rebuilt."""
        live = np.flatnonzero(self._ids[: self._n] != DEAD)
        self._vectors, self._ids = self._vectors[live], self._ids[live]
        self._n = len(live)
        self._row_of = dict(zip(self._ids.tolist(), range(self._n), strict=True))
        self._graph = self._pending = None

    def _reserve(self, extra: int) -> None:
        """Room for `extra` more rows, growing capacity geometrically."""
        if self._n + extra <= len(self._ids):
            return
        capacity = max(self._n + extra, 2 * len(self._ids), 1024)
        vectors = np.empty((capacity, self.dim), np.float32)
        ids = np.full(capacity, DEAD, np.int64)
        vectors[: self._n], ids[: self._n] = self._vectors[: self._n], self._ids[: self._n]
        self._vectors, self._ids = vectors, ids

    def _checked(self, vectors: np.ndarray, count: int) -> np.ndarray:
        """`count` L2-normalised float32 rows of width `dim`, or InvalidInput."""
        array = np.asarray(vectors, np.float32)
        if array.ndim == 1:
            array = array[None, :]
        if array.shape != (count, self.dim):
            raise InvalidInput(
                f"expected {count} vector(s) of dimension {self.dim}, got shape {array.shape}"
            )
        if not np.isfinite(array).all():
            raise InvalidInput("vectors must be finite (no NaN or infinity)")
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        return np.ascontiguousarray(array / np.where(norms == 0, 1, norms))

    def save(self, folder: Path) -> None:
        """Write `folder/vectors/` atomically: a temp dir, then renames."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".vectors.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        np.save(tmp / "vectors.npy", self._vectors[: self._n])
        np.save(tmp / "ids.npy", self._ids[: self._n])
        graph = self._current_graph()
        if graph is not None:
            faiss.write_index(graph, str(tmp / "hnsw.faiss"))
        sidecar = {
            "model": self.model_id,
            "dim": self.dim,
            "count": len(self),
            "approximate": self.approximate,
            "format": FORMAT,
        }
        (tmp / "index.json").write_text(json.dumps(sidecar, indent=2))
        replace_dir(tmp, folder / "vectors")

    @classmethod
    def load(cls, folder: Path, model_id: str, dim: int, **options: int) -> VectorIndex:
        """Read `folder/vectors/`; an empty index when there is none. `options` are the
        constructor's tuning arguments. Raises IndexMismatch for another model or a bad file."""
        path = Path(folder) / "vectors"
        recover_dir(path)
        index = cls(dim, model_id, **options)
        if not path.exists():
            return index
        try:
            sidecar = json.loads((path / "index.json").read_text())
            built_with = (sidecar["model"], sidecar["dim"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _corrupt(path, exc) from exc
        if built_with != (model_id, dim):
            raise IndexMismatch(
                f"vector index in {path} was built with model '{built_with[0]}' (dim "
                f"{built_with[1]}) but the configured model is '{model_id}' (dim {dim}); "
                "run `kb reindex` to rebuild it"
            )
        try:
            index._restore(path, sidecar)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise _corrupt(path, exc) from exc
        return index

    def _restore(self, path: Path, sidecar: dict[str, object]) -> None:
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        ids = np.load(path / "ids.npy", allow_pickle=False)
        if vectors.shape != (len(ids), self.dim) or vectors.dtype != np.float32:
            raise ValueError(f"vectors of shape {vectors.shape} do not match {len(ids)} ids")
        live = np.flatnonzero(ids != DEAD)
        self._vectors, self._ids, self._n = vectors, ids.astype(np.int64), len(ids)
        self._row_of = dict(zip(ids[live].tolist(), live.tolist(), strict=True))
        if len(self._row_of) != len(live) or sidecar.get("count") != len(live):
            raise ValueError("ids are duplicated or do not match the recorded count")
        graph_path = path / "hnsw.faiss"
        if graph_path.exists():
            graph = faiss.read_index(str(graph_path))
            if graph.ntotal > len(ids) or graph.d != self.dim:
                raise ValueError(f"HNSW graph holds {graph.ntotal} vectors, not {len(ids)}")
            self._graph = graph
        self._maintain(aside=True)  # a replica starting: searches go exact until it is built


def _corrupt(path: Path, exc: Exception) -> IndexMismatch:
    return IndexMismatch(
        f"vector index in {path} cannot be read ({exc}); run `kb reindex` to rebuild it"
    )


class GraphBuild:
    """An HNSW graph over the first `rows` rows of `vectors`, built in a daemon thread (FAISS
    releases the GIL while it builds): `base` (a graph over a prefix of them) copied and
    extended, or a new one. `graph` is None until `done`, and stays None if the build failed."""

    def __init__(
        self, index: VectorIndex, base: faiss.Index | None, vectors: np.ndarray, rows: int
    ) -> None:
        self.graph: faiss.Index | None = None
        self.done = False
        self._thread = threading.Thread(
            target=self._run, args=(index, base, vectors, rows), name="hnsw-build", daemon=True
        )
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def _run(
        self, index: VectorIndex, base: faiss.Index | None, vectors: np.ndarray, rows: int
    ) -> None:
        try:
            self.graph = index._build_graph(base, vectors, rows)
        except Exception:  # MemoryError and FAISS's RuntimeError; searches stay exact
            logger.exception("building the HNSW graph over %d rows failed", rows)
        finally:
            self.done = True
