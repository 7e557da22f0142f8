"""The yardstick for ingest speed: the raw model encoding a BEIR corpus (title + text, truncated
at the model's 256 word pieces), as sentence-transformers does it by default.

    .venv/bin/python bench/raw_encode.py ../shared/eval/scifact
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.beir import read_corpus  # noqa: E402
from search.embedder import model_location  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_location(args.model), device="cpu")
    texts = [f"{r['title']} {r['text']}" for r in read_corpus(args.dataset)]
    start = time.perf_counter()
    model.encode(texts, normalize_embeddings=True)
    elapsed = time.perf_counter() - start
    print(f"raw encode: {len(texts)} documents in {elapsed:.1f} s ({len(texts) / elapsed:.1f}/s)")


if __name__ == "__main__":
    main()
