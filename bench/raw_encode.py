"""The yardstick for ingest speed: the model encoding a BEIR corpus (title + text, truncated at
the model's 256 word pieces), through each bulk encoder kb has (KB_EMBEDDING_ENCODER), on the
same passages.

    .venv/bin/python bench/raw_encode.py ../shared/eval/scifact [--encoders torch,onnx,onnx-int8]
        [--limit 1000] [--models-dir DIR]

Prints, per encoder: passages per second (wall clock), CPU milliseconds per passage (less
sensitive to other work on the machine than the wall clock) and the least and mean cosine of
its vectors to the first encoder's. The ONNX files are exported (and quantised) into
`--models-dir` first, outside the timing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.beir import read_corpus  # noqa: E402
from search.embedder import SentenceTransformerEmbedder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--encoders", default="torch,onnx,onnx-int8")
    parser.add_argument("--limit", type=int, default=None, help="first N passages only")
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args()
    texts = [f"{r['title']} {r['text']}" for r in read_corpus(args.dataset)][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.models_dir or Path(tmp)
        reference: np.ndarray | None = None
        print(f"{len(texts)} passages of {args.dataset.name}, model {args.model}")
        for encoder in args.encoders.split(","):
            embedder = SentenceTransformerEmbedder(args.model, encoder=encoder, cache_dir=cache)
            embedder.encode(texts[:8])  # load, export, quantise
            cpu, wall = time.process_time(), time.perf_counter()
            vectors = embedder.encode(texts)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            reference = vectors if reference is None else reference
            cosines = np.sum(vectors * reference, axis=1)
            print(
                f"{encoder:10s} {len(texts) / wall:7.1f} passages/s  "
                f"{1000 * cpu / len(texts):6.1f} CPU ms/passage  cosine to "
                f"{args.encoders.split(',')[0]}: min {cosines.min():.4f} mean {cosines.mean():.4f}"
            )


if __name__ == "__main__":
    main()
