"""A process that saves index files over and over (real keyword index, real FAISS vectors,
large enough that a save takes a while), until it is killed: `python -m tests.search.index_saver
FOLDER`."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from search import snapshot
from search.keyword import KeywordIndex
from search.vector_index import VectorIndex

CHUNKS = 60_000
DIM = 384


def main(folder: Path) -> None:
    rng = np.random.default_rng(7)
    ids = np.arange(1, CHUNKS + 1, dtype=np.int64)
    vector = VectorIndex(DIM, "all-MiniLM-L6-v2", approximate_threshold=10**9)
    vector.add(ids, rng.standard_normal((CHUNKS, DIM)).astype(np.float32))
    keyword = KeywordIndex()
    keyword.add((int(i), [f"term{i % 5000}", f"word{i % 777}"]) for i in ids)
    chunk_doc = {int(i): int(i) // 10 for i in ids}
    stamp = snapshot.Stamp("identity", 1, "token", "all-MiniLM-L6-v2", DIM, "tokenizer")
    print("saving", flush=True)
    while True:
        snapshot.save(folder, stamp, keyword, vector, chunk_doc)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
