"""The manager dashboard's parts at scale: 10,000 documents with bench/web.py's metadata (no
chunks: the dashboard reads none), in SQLite or KB_DATABASE_URL, each part of GET /dashboard
timed on its own, median of `--runs`.

    .venv/bin/python bench/dashboard.py [--documents 10000] [--runs 5] [--home DIR]

Prints milliseconds per part: the freshness audit, the confidential documents hidden from a
contributor, the monthly contributions and the reuse breakdowns."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

from api.context import Context  # noqa: E402
from api.web.routes.dashboard_page import monthly_contributions  # noqa: E402
from bench.web import KINDS, OWNERS, fields_for  # noqa: E402
from kb.access import Viewer, hidden_documents  # noqa: E402
from kb.clock import utcnow  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.db import transaction  # noqa: E402
from kb.documents import build_draft  # noqa: E402
from kb.freshness import audit_freshness  # noqa: E402
from kb.people import add_person  # noqa: E402
from kb.reuse import reuse_by_field  # noqa: E402
from kb.store import save_draft  # noqa: E402

MANAGER = Viewer("boss", "manager")


def build(context: Context, documents: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    with transaction(context.engine) as session:
        for name in OWNERS:
            add_person(session, name, role="contributor")
    for start in range(0, documents, 1000):
        with transaction(context.engine) as session:
            for i in range(start, min(start + 1000, documents)):
                kind = KINDS[i % len(KINDS)]
                fields: dict[str, object] = {"id": f"gen-{i}", "kind": kind}
                fields |= {"owner": OWNERS[i % len(OWNERS)], **fields_for(kind, i, rng)}
                draft = build_draft(
                    fields, f"文档 {i}", origin="gen", default_id=f"gen-{i}", default_title=f"{i}"
                )
                save_draft(session, draft, [], author=OWNERS[i % len(OWNERS)])


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--home", type=Path, help="a data folder built by an earlier run: reused as it is"
    )
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="kb-dashboard-"))
    context = Context(Settings(home=home))
    if not args.home or not (home / "kb.sqlite").exists():
        started = time.perf_counter()
        build(context, args.documents)
        print(f"built {args.documents} documents in {time.perf_counter() - started:.0f} s")
    with Session(context.engine) as session:
        parts: dict[str, Callable[[], object]] = {
            "audit_freshness": lambda: audit_freshness(session, now=utcnow(), viewer=MANAGER),
            "hidden_documents (reader)": lambda: hidden_documents(
                session, Viewer("chen", "reader")
            ),
            "monthly_contributions": lambda: monthly_contributions(session, MANAGER),
            "reuse_by_field x2": lambda: [
                reuse_by_field(session, f, set()) for f in ("competitors", "industry")
            ],
        }
        for name, work in parts.items():
            print(f"{name:28} {median_ms(work, args.runs):8.0f} ms")


if __name__ == "__main__":
    main()
