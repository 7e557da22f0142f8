"""Hostile files through the ingest pipeline: for each file of the test corpus (bombs, deep
nesting, aliases, huge paragraph counts, bad dates, NULs) the time to refuse it and the growth
of peak memory (VmHWM, reset through /proc/self/clear_refs before each file).

    .venv/bin/python bench/hostile.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# This file's folder would shadow the `ingest` package: look in the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from api.context import Context  # noqa: E402
from kb.config import Settings  # noqa: E402
from tests.hostile_files import write_corpus  # noqa: E402


def status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        corpus = write_corpus(Path(folder) / "hostile")
        ingester = Context(Settings(home=Path(folder) / "kb")).ingester
        ingester.budget.count_tokens("warm up the tokenizer")
        print(f"{'file':<24} {'bytes':>10} {'seconds':>8} {'peak MB':>8}  error")
        for name, (content, _) in corpus.items():
            Path("/proc/self/clear_refs").write_text("5")
            before, start = status("VmRSS"), time.monotonic()
            report = ingester.ingest_paths([Path(folder) / "hostile" / name])
            seconds, growth = time.monotonic() - start, status("VmHWM") - before
            error = report.failed[0]["error"] if report.failed else "(not refused!)"
            print(f"{name:<24} {len(content):>10,} {seconds:>8.2f} {growth / 2**20:>8.0f}  {error}")


if __name__ == "__main__":
    main()
