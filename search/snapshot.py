"""Index files on disk: one generation's keyword and vector indexes, stamped.

The stamp says which database (its identity), which point of its change log (seq and that
change's token), which model and which tokenizer the files were built from. A replica starts
from the files only when all of them match; any mismatch (another database, a restored one, a
seq ahead of the database, another tokenizer) makes it rebuild from the database instead. The
files are written to a folder beside the live one and swapped in, and never over a newer stamp;
a start tidies away what a process killed mid-save left (`tidy`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
from sqlmodel import Session

from kb.changes import log_head, token_at
from kb.errors import IndexMismatch
from search import tokenize
from search.index_files import recover_dir, replace_dir
from search.keyword import KeywordIndex
from search.vector_index import VectorIndex

FOLDER = "snapshot"
WRITING = f".{FOLDER}.tmp"  # a save writes here, then swaps it in
STAMP = "stamp.json"
CHUNKS = "chunks.npz"


def tokenizer_version() -> str:
    """Changes whenever tokenisation may: the tokenizer's code and the segmenter's version."""
    code = hashlib.sha256(Path(tokenize.__file__).read_bytes()).hexdigest()[:12]
    return f"{code}-rjieba{version('rjieba')}"


@dataclass(frozen=True)
class Stamp:
    identity: str
    seq: int
    token: str
    model: str
    dim: int
    tokenizer: str


def read_stamp(folder: Path) -> Stamp | None:
    """The stamp of the index files in `folder` (None when there are none or it is unreadable)."""
    path = folder / FOLDER
    try:
        return Stamp(**json.loads((path / STAMP).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def mismatch(stamp: Stamp | None, session: Session, model: str, tokenizer: str) -> str | None:
    """Why the files stamped `stamp` cannot be used with this database (None: they can)."""
    if stamp is None:
        return "no stamped index files"
    seq, identity = log_head(session)
    if stamp.identity != identity:
        return f"built from another database ({stamp.identity[:8]}, this is {identity[:8]})"
    if stamp.seq > seq:
        return f"built at change {stamp.seq}, ahead of the database ({seq}): a restore?"
    if token_at(session, stamp.seq) != stamp.token:
        return f"change {stamp.seq} is not the one the files were built at: a restore?"
    if stamp.tokenizer != tokenizer:
        return "built by another tokenizer version"
    if stamp.model != model:
        return f"built with model '{stamp.model}' but the configured model is '{model}'"
    return None


def load(
    folder: Path, stamp: Stamp, ann_threshold: int
) -> tuple[KeywordIndex, VectorIndex, dict[int, int]]:
    """The keyword index, the vector index and the chunk -> document map the files hold."""
    path = folder / FOLDER
    keyword = KeywordIndex.load(path)
    vector = VectorIndex.load(path, stamp.model, stamp.dim, approximate_threshold=ann_threshold)
    try:
        with np.load(path / CHUNKS, allow_pickle=False) as data:
            chunk_doc = dict(zip(data["chunks"].tolist(), data["documents"].tolist(), strict=True))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexMismatch(f"{path / CHUNKS} cannot be read ({exc}); run `kb reindex`") from exc
    return keyword, vector, chunk_doc


def save(
    folder: Path,
    stamp: Stamp,
    keyword: KeywordIndex,
    vector: VectorIndex,
    chunk_doc: dict[int, int],
) -> None:
    """Write the files (the caller holds the folder's file lock and has checked that those on
    disk are not newer)."""
    folder.mkdir(parents=True, exist_ok=True)
    tidy(folder)
    tmp = folder / WRITING
    tmp.mkdir()
    keyword.save(tmp)
    vector.save(tmp)
    np.savez(
        tmp / CHUNKS,
        chunks=np.fromiter(chunk_doc.keys(), np.int64, len(chunk_doc)),
        documents=np.fromiter(chunk_doc.values(), np.int64, len(chunk_doc)),
    )
    (tmp / STAMP).write_text(json.dumps(asdict(stamp), indent=2))
    replace_dir(tmp, folder / FOLDER)


def tidy(folder: Path) -> None:
    """Undo what a save killed mid-way left behind (the caller holds the folder's file lock):
    a swap interrupted between its renames is put back; half-written new files and old files
    not yet removed are deleted."""
    recover_dir(folder / FOLDER)
    shutil.rmtree(folder / WRITING, ignore_errors=True)
    for old in folder.glob(f".{FOLDER}.old-*"):
        shutil.rmtree(old, ignore_errors=True)


def remove(folder: Path) -> None:
    shutil.rmtree(folder / FOLDER, ignore_errors=True)


def refuse_other_model(stamp: Stamp | None, model: str) -> None:
    """Index files built by another model are refused with what to do (rebuilding them needs
    every chunk embedded again: a `kb reindex`)."""
    if stamp is not None and stamp.model != model:
        raise IndexMismatch(
            f"the index files were built with model '{stamp.model}' but KB_EMBEDDING_MODEL "
            f"and KB_EMBEDDING_ENCODER give '{model}'; run `kb reindex` to embed every chunk "
            "with it and rebuild them"
        )
