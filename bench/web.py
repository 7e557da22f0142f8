"""Web pages at scale: time to first byte and size of each page with 10,000 documents in the
store (synthetic embeddings stored in the database, real keyword text), served by a real
uvicorn server on loopback; the search page against POST /search on the same queries.

    .venv/bin/python bench/web.py [--documents 10000] [--requests 50]

Prints, per page, TTFB median / p95 and total time p95 in ms over the requests, and the page
size; then the search page's p95 as a multiple of POST /search's p95 (target: at most 1.5x).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn  # noqa: E402

from api.app import create_app  # noqa: E402
from api.context import Context  # noqa: E402
from bench.beir import percentile  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.db import transaction  # noqa: E402
from kb.documents import build_draft, sha256  # noqa: E402
from kb.embeddings import store_vectors  # noqa: E402
from kb.people import add_person  # noqa: E402
from kb.store import ChunkInput, save_draft  # noqa: E402

KINDS = ("product_note", "competitor_intel", "proposal", "qa", "bid_result")
PRODUCTS = ("X-200", "DataHub", "GuardEye", "FlowDesk")
COMPETITORS = ("华为云", "阿里云", "Oracle", "SAP")
INDUSTRIES = ("金融", "制造", "政务", "医疗")
OWNERS = ("li.na", "zhang.wei", "wang.fang", "liu.yang")
WORDS_ZH = (
    "数据 集成 平台 部署 安全 合规 报价 迁移 治理 分析 国产化 信创 等保 银行 医院 政务".split()
)
WORDS_EN = "data integration platform deployment security compliance pricing migration".split()
QUERIES = (
    "华为云 报价",
    "等保三级 国产化 部署",
    "X-200 pricing",
    "信创 银行 迁移",
    "data governance",
)
CHUNKS_PER_DOC = 3


def fields_for(kind: str, i: int, rng: random.Random) -> dict[str, object]:
    common = {
        "products": [rng.choice(PRODUCTS)],
        "industry": rng.choice(INDUSTRIES),
        "updated": f"202{rng.randint(3, 6)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
    }
    extra: dict[str, object] = {
        "product_note": {},
        "competitor_intel": {
            "competitor": rng.choice(COMPETITORS),
            "source": "客户访谈",
            "observed": "2026-05-01",
        },
        "proposal": {"customer": f"客户{i % 300}", "competitors": [rng.choice(COMPETITORS)]},
        "qa": {"question": f"{rng.choice(PRODUCTS)} 是否支持 SSO？"},
        "bid_result": {
            "bid": f"BID-{i}",
            "customer": f"客户{i % 300}",
            "outcome": rng.choice(("won", "lost")),
        },
    }[kind]
    return {**common, **extra}


def build(context: Context, documents: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    dim = context.embedder.dim
    centres = np_rng.normal(size=(128, dim)).astype(np.float32)
    model = context.embedder.model_id
    for start in range(0, documents, 1000):
        with transaction(context.engine) as session:
            for i in range(start, min(start + 1000, documents)):
                kind = KINDS[i % len(KINDS)]
                words = WORDS_ZH if i % 3 else WORDS_EN
                texts = [
                    " ".join(rng.choice(words) for _ in range(rng.randint(40, 90)))
                    for _ in range(CHUNKS_PER_DOC)
                ]
                fields = {
                    "id": f"gen-{i}",
                    "kind": kind,
                    "owner": OWNERS[i % len(OWNERS)],
                    **fields_for(kind, i, rng),
                }
                draft = build_draft(
                    fields,
                    "\n\n".join(texts),
                    origin="gen",
                    default_id=f"gen-{i}",
                    default_title=f"{rng.choice(PRODUCTS)} 文档 {i}",
                )
                pieces = [ChunkInput(j, (), t, "", sha256(t)) for j, t in enumerate(texts)]
                save_draft(session, draft, pieces, author=OWNERS[i % len(OWNERS)])
                noise = np_rng.normal(scale=0.6, size=(CHUNKS_PER_DOC, dim)).astype(np.float32)
                vectors = centres[np_rng.integers(0, len(centres), CHUNKS_PER_DOC)] + noise
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                store_vectors(session, model, [p.content_hash for p in pieces], vectors)


def serve(context: Context) -> tuple[uvicorn.Server, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(context=context)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def signed_in(base: str, name: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    data = {"csrf": csrf.group(1), "name": name, "secret": token, "next": "/"}
    assert client.post("/signin", data=data).status_code in (200, 303)
    return client


def timed(
    client: httpx.Client, method: str, url: str, **kwargs: object
) -> tuple[float, float, int]:
    """(time to first byte ms, total ms, body bytes) of one request."""
    begin = time.perf_counter()
    with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
        first = (time.perf_counter() - begin) * 1000
        size = len(response.read())
        assert response.status_code == 200, f"{url}: {response.status_code}"
    return first, (time.perf_counter() - begin) * 1000, size


def measure(label: str, runs: list[tuple[float, float, int]]) -> float:
    ttfb = [r[0] for r in runs]
    total = [r[1] for r in runs]
    size = statistics.median(r[2] for r in runs)
    print(
        f"{label:28s} TTFB p50 {statistics.median(ttfb):7.1f} ms  "
        f"p95 {percentile(ttfb, 95):7.1f} ms"
        f"  total p95 {percentile(total, 95):7.1f} ms  size {size / 1024:7.1f} KiB"
    )
    return percentile(total, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        context = Context(Settings(home=Path(tmp) / "home"))
        with transaction(context.engine) as session:
            token = add_person(session, "wang.min", role="manager", team="华东售前")[1]
            for n, owner in enumerate(OWNERS):
                add_person(session, owner, role="contributor", team=("华东售前", "华南售前")[n % 2])
        start = time.perf_counter()
        build(context, args.documents)
        context.indexes.sync()
        built = time.perf_counter() - start
        print(f"store: {args.documents} documents, built and indexed in {built:.0f} s")
        server, base = serve(context)
        page = signed_in(base, "wang.min", token)
        api = httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"})
        n = args.requests
        queries = [QUERIES[i % len(QUERIES)] for i in range(n)]
        for q in QUERIES:  # warm up
            timed(page, "GET", "/", params={"q": q})
            timed(api, "POST", "/search", json={"query": q})
        api_runs, page_runs = [], []
        for q in queries:  # interleaved, so both see the same load on the machine
            api_runs.append(timed(api, "POST", "/search", json={"query": q}))
            page_runs.append(timed(page, "GET", "/", params={"q": q}))
        api_p95 = measure("POST /search", api_runs)
        search_p95 = measure("GET /?q= (search page)", page_runs)
        measure(
            "GET /?q=&kind= (facet)",
            [timed(page, "GET", "/", params={"q": q, "kind": "proposal"}) for q in queries],
        )
        pages = {
            "GET / (empty)": "/",
            "GET /doc/{id}": f"/doc/{args.documents // 2}",
            "GET /doc/{id}/diff": f"/doc/{args.documents // 2}/diff",
            "GET /contribute?kind=": "/contribute?kind=proposal",
            "GET /draft": "/draft",
            "GET /dashboard": "/dashboard",
            "GET /handover?leaver=": "/handover?leaver=li.na",
            "GET /admin/people": "/admin/people",
        }
        for label, url in pages.items():
            measure(label, [timed(page, "GET", url) for _ in range(n)])
        # the dashboard's floor: the freshness audit it shows, over the API
        measure(
            "GET /audit/freshness (API)", [timed(api, "GET", "/audit/freshness") for _ in range(n)]
        )
        print(f"search page p95 / POST /search p95 = {search_p95 / api_p95:.2f}x (target <= 1.5x)")
        server.should_exit = True


if __name__ == "__main__":
    main()
