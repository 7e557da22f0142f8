"""The hostile-file corpus through `kb ingest` in a subprocess of its own, where time and peak
memory are measured per file: each file is one clear failure, the store does not change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import ROOT, make_context
from tests.hostile_files import (
    MAX_PEAK_GROWTH,
    MAX_SECONDS,
    PEAK_SCRIPT,
    store_fingerprint,
)
from tests.ingest.test_pipeline import note

INGEST_SCRIPT = (
    PEAK_SCRIPT
    + """
from api.cli import main
from api.commands.context import context

folder, out = Path(sys.argv[1]), Path(sys.argv[2])
ingester = context().ingester
ingester.budget.count_tokens("warm up the tokenizer")
measured = {}
for path in sorted(folder.iterdir()):
    if not path.is_symlink():
        report, seconds, growth = measure(lambda: ingester.ingest_paths([path]))
        measured[path.name] = {"report": report.as_dict(), "seconds": seconds, "growth": growth}
out.write_text(json.dumps(measured))
main(["ingest", str(folder), "--json"])
"""
)


def test_each_hostile_file_fails_alone_quickly_in_bounded_memory_and_changes_nothing(
    settings: Settings,
    engine: Engine,
    embedder: SentenceTransformerEmbedder,
    hostile_files: dict[str, tuple[bytes, str]],
    tmp_path: Path,
) -> None:
    context = make_context(settings, embedder)  # a good document, stored and embedded
    assert context.ingest([note(tmp_path / "good", "good")])[0].added == ["good"]
    context.engine.dispose()
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, (content, _) in hostile_files.items():
        (folder / name).write_bytes(content)
    (folder / "passwd.md").symlink_to(note(tmp_path / "outside", "secret"))
    (folder / "dangling.md").symlink_to(tmp_path / "nothing.md")
    before = store_fingerprint(engine)

    measured_file = tmp_path / "measured.json"
    run = subprocess.run(
        [sys.executable, "-c", INGEST_SCRIPT, str(folder), str(measured_file)],
        cwd=ROOT,
        env={**os.environ, **_kb_environment(settings)},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    measured = json.loads(measured_file.read_text())
    assert set(measured) == set(hostile_files)
    for name, (_, words) in hostile_files.items():
        report, seconds, growth = (measured[name][key] for key in ("report", "seconds", "growth"))
        assert [failure["path"] for failure in report["failed"]] == [name], (name, report)
        assert words in report["failed"][0]["error"], (name, report["failed"])
        assert report["added"] == report["updated"] == report["unchanged"] == [], name
        assert seconds < MAX_SECONDS, (name, seconds)
        assert growth < MAX_PEAK_GROWTH, (name, f"{growth / 2**20:.0f} MB")
    whole = json.loads(run.stdout)
    assert sorted(f["path"] for f in whole["failed"]) == sorted(hostile_files)
    assert {item["path"] for item in whole["skipped"]} == {"passwd.md", "dangling.md"}
    assert whole["added"] == whole["updated"] == whole["deleted"] == []
    assert store_fingerprint(engine) == before


def _kb_environment(settings: Settings) -> dict[str, str]:
    environment = {"KB_HOME": str(settings.home), "HF_HUB_OFFLINE": "1"}
    if settings.database_url:
        environment["KB_DATABASE_URL"] = settings.database_url
    return environment
