"""A process killed (SIGKILL) while it saves the index files leaves temporary folders (the
new files half written, or the old ones not yet removed); the next start of kb tidies them
away and serves from good files or from the database."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kb.config import Settings
from search.embedder import SentenceTransformerEmbedder
from tests.conftest import ROOT, make_context


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".snapshot"))


def kill_mid_save(folder: Path) -> list[str]:
    """Start a process saving index files over and over, SIGKILL it while it writes the new
    files, and return the temporary folders it left."""
    saver = subprocess.Popen(
        [sys.executable, "-m", "tests.search.index_saver", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert saver.stdout is not None and saver.stdout.readline() == b"saving\n"
        deadline = time.monotonic() + 60
        while not (folder / ".snapshot.tmp").exists():
            assert time.monotonic() < deadline and saver.poll() is None
            time.sleep(0.001)
    finally:
        saver.kill()
        saver.wait(timeout=30)
    return leftovers(folder)


def test_a_restart_after_a_save_killed_mid_way_leaves_no_temporary_folder(
    sqlite_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    folder = sqlite_settings.index_dir
    assert kill_mid_save(folder), "the kill came between two saves"
    context = make_context(sqlite_settings, embedder)
    generation = context.indexes.catch_up()  # what a starting `kb serve` does first
    assert leftovers(folder) == []
    assert generation.seq == 0  # the files were of another database: rebuilt from this one
    context.indexes.save()
    assert leftovers(folder) == [] and (folder / "snapshot" / "stamp.json").exists()
    context.engine.dispose()


def test_a_swap_interrupted_between_its_renames_is_undone_and_tidied(
    sqlite_settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    """Killed after moving the live files aside and before moving the new ones in: the start
    puts the old files back (and tidies the half-written new ones)."""
    folder = sqlite_settings.index_dir
    context = make_context(sqlite_settings, embedder)
    context.indexes.catch_up()
    context.indexes.save()
    (folder / "snapshot").rename(folder / ".snapshot.old-12345")
    (folder / ".snapshot.tmp").mkdir()
    restarted = make_context(sqlite_settings, embedder)
    restarted.indexes.catch_up()
    assert leftovers(folder) == [] and (folder / "snapshot" / "stamp.json").exists()
    assert restarted.indexes.rebuilt_because is None  # started from the files put back
    context.engine.dispose()
    restarted.engine.dispose()
