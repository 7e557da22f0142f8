"""BM25 keyword index over chunk ids, held in NumPy arrays.

Postings live in a term-major CSR segment (`indptr`, `rows`, `tfs`) plus a small delta of recent
adds (per-term `array`s); the delta is merged into the CSR when it grows past a threshold or on
save. A removal clears the row's live flag; merging drops dead rows. Document frequencies are
counted over live rows at query time, so they stay exact under removal.

Scores are BM25 with Lucene's idf, `log(1 + (N - df + 0.5) / (df + 0.5))`, and the classic
term weight `tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`, N and avgdl over live
documents. A query term repeated q times counts q times.

A query may also carry synonym groups (query translation, search/translation.py): alternatives
of one source term, each an alternative's tokens (all must occur: a phrase, loosely). A group is
scored as one term (Pirkola's structured query): its tf in a row is the sum of its alternatives'
tfs (an alternative's tf is its rarest token's), its df the number of rows holding any of them,
its idf never above the lowest idf of the source term's own tokens, times the group's weight.
A cost cap, in an index of at least COMMON_MIN_ROWS rows: a source term each of whose own
tokens more than COMMON_SHARE of the rows hold gets no group, and an alternative that many rows
hold is left out of its group (their idf is below log 2; their posting lists are the longest).

`evolved` makes the next version of an index while searches read the current one: the two
share the CSR arrays (never changed in place) and the delta's per-term arrays until the new one
appends to a term (then it copies that term's arrays first). The vocabulary is shared and only
grows between merges: an older version does not know the new terms' ids and finds no postings
for them.
"""

from __future__ import annotations

import copy
import json
import os
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from kb.errors import IndexMismatch, InvalidInput

FORMAT = 1
FILENAME = "index.npz"
MIN_DELTA = 50_000  # postings held in the delta before a merge, at least
_TF_MAX = np.iinfo(np.uint16).max
# At scale, a query term (or a translation) held by more than half the rows is not translated
# (left out of its synonym group): its idf is below log 2, so it could add little to a score,
# and its posting list is among the longest to read (Lucene's common-terms cutoff). Below
# COMMON_MIN_ROWS rows every list is short and nothing is left out.
COMMON_SHARE = 0.5
COMMON_MIN_ROWS = 10_000


@dataclass(frozen=True)
class SynonymGroup:
    """Alternatives standing for one query term (see the module docstring)."""

    alternatives: tuple[tuple[str, ...], ...]
    weight: float
    source_tokens: tuple[str, ...] = ()


class _Vocabulary(dict[str, int]):
    """Term to term id; looking up a new term gives it the next id."""

    def __missing__(self, term: str) -> int:
        term_id = self[term] = len(self)
        return term_id


class KeywordIndex:
    """BM25 over (chunk id, tokens); see the module docstring."""

    def __init__(self, k1: float = 0.9, b: float = 0.4) -> None:
        if k1 < 0 or not 0 <= b <= 1:
            raise InvalidInput(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        self.k1 = k1
        self.b = b
        self._vocab = _Vocabulary()
        self._indptr = np.zeros(1, np.int64)
        self._rows = np.empty(0, np.int32)
        self._tfs = np.empty(0, np.uint16)
        self._delta: dict[int, tuple[array, array]] = {}
        self._delta_size = 0
        self._ids = np.empty(0, np.int64)
        self._lengths = np.empty(0, np.int32)
        self._live = np.empty(0, bool)
        self._row_of: dict[int, int] = {}
        self._total_length = 0
        self._norm: np.ndarray | None = None
        self._owned: set[int] | None = None  # delta terms this version may append to (None: all)

    def __len__(self) -> int:
        return len(self._row_of)

    def ids(self) -> np.ndarray:
        """Ids of the indexed chunks."""
        return self._ids[self._live]

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._row_of

    def evolved(self, remove: Iterable[int], add: Iterable[tuple[int, list[str]]]) -> KeywordIndex:
        """A new index with these changes; this one is left exactly as it was (searches may
        go on reading it while the new one is built)."""
        new = copy.copy(self)
        new._live = self._live.copy()
        new._row_of = dict(self._row_of)
        new._delta = dict(self._delta)
        new._owned = set()
        new._norm = None
        new.remove(list(remove))
        new.add(add)
        return new

    def add(self, items: Iterable[tuple[int, list[str]]]) -> None:
        """Index (id, tokens) pairs; an id already present is replaced."""
        latest = {int(chunk_id): tokens for chunk_id, tokens in items}
        if not latest:
            return
        self.remove(latest)
        start = len(self._ids)
        ids = np.fromiter(latest, np.int64, len(latest))
        lengths = np.fromiter(map(len, latest.values()), np.int32, len(latest))
        terms, rows, tfs = self._postings_of(list(latest.values()), start)
        self._ids = np.concatenate([self._ids, ids])
        self._lengths = np.concatenate([self._lengths, lengths])
        self._live = np.concatenate([self._live, np.ones(len(ids), bool)])
        self._row_of.update(zip(latest, range(start, start + len(ids)), strict=True))
        self._total_length += int(lengths.sum())
        self._norm = None
        if self._delta_size + len(terms) > max(MIN_DELTA, len(self._rows) // 16):
            self._merge(terms, rows, tfs)
        else:
            self._add_to_delta(terms, rows, tfs)

    def remove(self, ids: Iterable[int]) -> None:
        """Drop these ids; unknown ids are ignored."""
        for chunk_id in ids.tolist() if isinstance(ids, np.ndarray) else ids:
            row = self._row_of.pop(int(chunk_id), None)
            if row is not None:
                self._live[row] = False
                self._total_length -= int(self._lengths[row])
                self._norm = None

    def search(
        self,
        query_tokens: list[str],
        k: int,
        allowed: np.ndarray | None = None,
        groups: Sequence[SynonymGroup] = (),
    ) -> list[tuple[int, float]]:
        """Top `k` (id, score) with a positive score, best first, ties by id."""
        if k < 0:
            raise InvalidInput(f"k must be at least 0, got {k}")
        if k == 0 or not self._row_of:
            return []
        scores = self._scores(Counter(query_tokens))
        for group in groups:
            self._add_group_scores(scores, group)
        mask = self._live if allowed is None else self._live & np.isin(self._ids, allowed)
        scores[~mask] = 0.0
        return _top_k(scores, self._ids, k)

    def idf(self, term: str) -> float:
        """Lucene's idf of `term` over the live rows; a term no row holds gets the highest."""
        return self._idf(self.df(term))

    def df(self, term: str) -> int:
        """How many live rows hold `term`."""
        term_id = self._vocab.get(term)
        return self._df(self._postings(term_id)[0]) if term_id is not None else 0

    def _common_df(self) -> float:
        """The document frequency above which a synonym group's term or alternative is left
        out (see COMMON_SHARE); no limit below COMMON_MIN_ROWS rows."""
        n_docs = len(self._row_of)
        return COMMON_SHARE * n_docs if n_docs >= COMMON_MIN_ROWS else float("inf")

    def _idf(self, df: int) -> float:
        n_docs = len(self._row_of)
        return float(np.log1p((n_docs - df + 0.5) / (df + 0.5)))

    def _df(self, rows: np.ndarray) -> int:
        if len(self._row_of) == len(self._ids):
            return len(rows)
        return int(np.count_nonzero(self._live[rows]))

    def _scores(self, query: Counter[str]) -> np.ndarray:
        """Dense BM25 scores per row (dead rows included, to be masked by the caller)."""
        norm = self._row_norms()
        scores = np.zeros(len(self._ids))
        for term, count in query.items():
            term_id = self._vocab.get(term)
            if term_id is None:
                continue
            rows, tfs = self._postings(term_id)
            df = self._df(rows)
            if df == 0:
                continue
            idf = self._idf(df)
            tf = tfs.astype(np.float64)
            np.add.at(scores, rows, (count * idf * (self.k1 + 1)) * tf / (tf + norm[rows]))
        return scores

    def _add_group_scores(self, scores: np.ndarray, group: SynonymGroup) -> None:
        """Add one synonym group's BM25 contribution to `scores` (see the module docstring)."""
        common = self._common_df()
        source_dfs = [self.df(token) for token in group.source_tokens]
        if source_dfs and min(source_dfs) > common:
            return  # a common term: its translations could add little, from the longest lists
        found = [self._alternative_postings(tokens) for tokens in group.alternatives]
        found = [(rows, tfs) for rows, tfs in found if 0 < self._df(rows) <= common]
        if not found:
            return
        rows, inverse = np.unique(np.concatenate([r for r, _ in found]), return_inverse=True)
        tf = np.bincount(inverse, weights=np.concatenate([t for _, t in found]))
        df = self._df(rows)
        idf = self._idf(max([df, *source_dfs]))  # never above the term's own
        norm = self._row_norms()[rows]
        scores[rows] += group.weight * idf * (self.k1 + 1) * tf / (tf + norm)

    def _alternative_postings(self, tokens: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding every token of an alternative, with the smallest of their tfs."""
        rows: np.ndarray | None = None
        tfs = np.empty(0)
        for token in dict.fromkeys(tokens):
            term_id = self._vocab.get(token)
            if term_id is None:
                return np.empty(0, np.int32), np.empty(0)
            term_rows, term_tfs = self._postings(term_id)
            if rows is None:
                rows, tfs = term_rows, term_tfs.astype(np.float64)
                continue
            rows, mine, theirs = np.intersect1d(rows, term_rows, return_indices=True)
            tfs = np.minimum(tfs[mine], term_tfs[theirs])
            if not len(rows):
                break
        return (rows, tfs) if rows is not None else (np.empty(0, np.int32), np.empty(0))

    def _row_norms(self) -> np.ndarray:
        """`k1 * (1 - b + b * dl / avgdl)` per row, cached until the next change."""
        if self._norm is None:
            avgdl = self._total_length / max(len(self._row_of), 1) or 1.0
            self._norm = self.k1 * (1 - self.b + self.b * self._lengths / avgdl)
        return self._norm

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and term frequencies of a term, CSR segment then delta."""
        if term_id < len(self._indptr) - 1:
            lo, hi = self._indptr[term_id], self._indptr[term_id + 1]
            rows, tfs = self._rows[lo:hi], self._tfs[lo:hi]
        else:
            rows, tfs = self._rows[:0], self._tfs[:0]
        extra = self._delta.get(term_id)
        if extra is None:
            return rows, tfs
        extra_rows = np.frombuffer(extra[0], np.int32)
        extra_tfs = np.frombuffer(extra[1], np.uint16)
        return np.concatenate([rows, extra_rows]), np.concatenate([tfs, extra_tfs])

    def _postings_of(
        self, docs: list[list[str]], start: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, row, tf) postings, term-major, of new documents whose rows begin at `start`."""
        lengths = [len(d) for d in docs]
        tokens = chain.from_iterable(docs)
        flat = np.fromiter(map(self._vocab.__getitem__, tokens), np.int64, sum(lengths))
        doc = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        keys, tfs = np.unique(flat * len(docs) + doc, return_counts=True)
        rows = (start + keys % len(docs)).astype(np.int32)
        return keys // len(docs), rows, np.minimum(tfs, _TF_MAX).astype(np.uint16)

    def _add_to_delta(self, terms: np.ndarray, rows: np.ndarray, tfs: np.ndarray) -> None:
        for term, row, tf in zip(terms.tolist(), rows.tolist(), tfs.tolist(), strict=True):
            entry = self._delta.get(term)
            if entry is None:
                entry = self._delta[term] = (array("i"), array("H"))
            elif self._owned is not None and term not in self._owned:
                entry = self._delta[term] = (array("i", entry[0]), array("H", entry[1]))
            if self._owned is not None:
                self._owned.add(term)
            entry[0].append(row)
            entry[1].append(tf)
        self._delta_size += len(terms)

    def _merge(self, *batch: np.ndarray) -> None:
        """Fold the delta (and `batch` postings) into the CSR, dropping dead rows and terms."""
        main_terms = np.repeat(np.arange(len(self._indptr) - 1), np.diff(self._indptr))
        parts = [(main_terms, self._rows, self._tfs), *self._delta_arrays()]
        if batch:
            parts.append((batch[0], batch[1], batch[2]))
        terms, rows, tfs = (np.concatenate(column) for column in zip(*parts, strict=True))
        keep = self._live[rows]
        terms, rows, tfs = terms[keep], rows[keep], tfs[keep]
        new_row = np.cumsum(self._live, dtype=np.int64) - 1
        order = np.argsort(terms, kind="stable")
        used = np.bincount(terms, minlength=len(self._vocab)) > 0
        new_term = np.cumsum(used) - 1
        self._rows = new_row[rows[order]].astype(np.int32)
        self._tfs = tfs[order]
        counts = np.bincount(new_term[terms], minlength=int(used.sum()))
        self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        words = list(self._vocab)
        kept = np.flatnonzero(used).tolist()
        self._vocab = _Vocabulary((words[t], i) for i, t in enumerate(kept))
        self._ids, self._lengths = self._ids[self._live], self._lengths[self._live]
        self._live = np.ones(len(self._ids), bool)
        self._row_of = dict(zip(self._ids.tolist(), range(len(self._ids)), strict=True))
        self._delta, self._delta_size, self._norm, self._owned = {}, 0, None, None

    def _delta_arrays(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return [
            (
                np.full(len(rows), term, np.int64),
                np.frombuffer(rows, np.int32),
                np.frombuffer(tfs, np.uint16),
            )
            for term, (rows, tfs) in sorted(self._delta.items())
        ]

    def save(self, folder: Path) -> None:
        """Write `folder/keyword/index.npz` atomically (temp file, then `os.replace`). The
        written copy is merged; this index is not changed."""
        if self._delta or not self._live.all():
            merged = self.evolved([], [])
            merged._merge()
            merged.save(folder)
            return
        target = Path(folder) / "keyword"
        target.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "k1": self.k1, "b": self.b, "vocab": list(self._vocab)}
        tmp = target / f".{FILENAME}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            np.savez(
                f,
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
                indptr=self._indptr,
                rows=self._rows,
                tfs=self._tfs,
                ids=self._ids,
                lengths=self._lengths,
            )
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target / FILENAME)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by `save`; an empty index when there is none."""
        path = Path(folder) / "keyword" / FILENAME
        if not path.exists():
            return cls()
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(data["meta"].tobytes().decode())
                index = cls(k1=meta["k1"], b=meta["b"])
                index._restore(meta, {name: data[name] for name in data.files})
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise IndexMismatch(
                f"keyword index in {path} cannot be read ({exc}); run `kb reindex` to rebuild it"
            ) from exc
        return index

    def _restore(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')} is not {FORMAT}")
        self._vocab = _Vocabulary((term, i) for i, term in enumerate(meta["vocab"]))
        self._indptr, self._rows, self._tfs = arrays["indptr"], arrays["rows"], arrays["tfs"]
        self._ids, self._lengths = arrays["ids"], arrays["lengths"]
        n_rows, n_postings = len(self._ids), len(self._rows)
        if (
            len(self._indptr) != len(self._vocab) + 1
            or self._indptr[-1] != n_postings
            or len(self._tfs) != n_postings
            or len(self._lengths) != n_rows
            or (n_postings and int(self._rows.max()) >= n_rows)
        ):
            raise ValueError("arrays do not agree in size")
        self._live = np.ones(n_rows, bool)
        self._row_of = dict(zip(self._ids.tolist(), range(n_rows), strict=True))
        self._total_length = int(self._lengths.sum())


def _top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The `k` best positive scores as (id, score), ties broken by ascending id."""
    candidates = np.flatnonzero(scores >= _lower_bound(scores, k))
    if len(candidates) > k:
        best = np.argpartition(-scores[candidates], k - 1)[:k]
        threshold = scores[candidates[best]].min()
        candidates = candidates[scores[candidates] >= threshold]
    order = np.lexsort((ids[candidates], -scores[candidates]))[:k]
    chosen = candidates[order]
    return list(zip(ids[chosen].tolist(), scores[chosen].tolist(), strict=True))


def _lower_bound(scores: np.ndarray, k: int) -> float:
    """A floor under the k-th best score, above 0: the k-th best of an evenly spaced sample
    (a subset's k-th best never beats the whole's), so few rows need a full partition."""
    step = len(scores) // max(4096, 64 * k)
    if step < 2:
        return np.nextafter(0.0, 1.0)
    sample = scores[::step]
    kth = float(np.partition(sample, len(sample) - k)[len(sample) - k])
    return max(kth, np.nextafter(0.0, 1.0))
