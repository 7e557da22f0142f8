"""Ingest speed without embedding: documents/s and chunks/s for content/ and a generated corpus
of 10,000+ documents, and the time to re-ingest it unchanged.

    .venv/bin/python bench/ingest.py [--documents 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# This file's folder would shadow the `ingest` package: look in the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from api.context import Context  # noqa: E402
from kb.config import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["product_note", "competitor_intel", "proposal", "qa"]
PRODUCTS = ["X-200", "DataHub", "GuardEye", "FlowDesk"]
ZH = (
    "本方案基于{p}构建统一的数据集成平台，支持国产化信创环境与等保三级要求。客户现有系统包括核心业务、"
    "数据仓库与报表平台，我们建议分三期实施，首期完成数据接入与治理。"
)
EN = (
    "The {p} deployment integrates the customer's core systems with a unified data platform. "
    "We recommend a phased rollout: ingestion and governance first, analytics second. "
)


def generate(folder: Path, count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for i in range(count):
        kind = rng.choice(KINDS)
        product = rng.choice(PRODUCTS)
        fields = {
            "product_note": "",
            "qa": f"question: {product} 是否支持 SSO？\n",
            "competitor_intel": "competitor: 华为云\nsource: 客户访谈\nobserved: 2026-05-01\n",
            "proposal": f"customer: 客户{i}\nindustry: 金融\n",
        }[kind]
        sections = []
        for s in range(rng.randint(2, 5)):
            body = " ".join(
                (ZH if rng.random() < 0.6 else EN).format(p=product)
                for _ in range(rng.randint(1, 6))
            )
            sections.append(f"## 第{s + 1}节 Section {s + 1}\n\n{body} (ref {i}-{s})\n")
        text = (
            f"---\nid: gen-{i}\nkind: {kind}\ntitle: {product} 文档 {i}\nowner: li.na\n"
            f"products: [{product}]\n{fields}---\n# {product} 文档 {i}\n\n" + "\n".join(sections)
        )
        sub = folder / f"d{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"doc-{i}.md").write_text(text, encoding="utf-8")


def run(label: str, source: Path, home: Path) -> None:
    context = Context(Settings(home=home))
    context.embedder.count_tokens("warm up the tokenizer")
    start = time.perf_counter()
    report = context.ingester.ingest_paths([source])
    first = time.perf_counter() - start
    documents = len(report.added)
    start = time.perf_counter()
    again = context.ingester.ingest_paths([source])
    second = time.perf_counter() - start
    print(
        f"{label}: {documents} documents, {report.chunks_written} chunks, "
        f"{len(report.failed)} failed"
    )
    print(
        f"  first ingest   {first:8.2f} s  {documents / first:8.1f} documents/s  "
        f"{report.chunks_written / first:8.1f} chunks/s"
    )
    print(
        f"  re-ingest      {second:8.2f} s  ({len(again.unchanged)} unchanged, "
        f"{len(again.added) + len(again.updated)} written)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("content/", ROOT / "content", Path(tmp) / "content-home")
        corpus = Path(tmp) / "corpus"
        generate(corpus, args.documents)
        run(f"generated ({args.documents})", corpus, Path(tmp) / "generated-home")


if __name__ == "__main__":
    main()
