"""discover > read > prepare (validate, chunk) > version > store, one transaction per document.

A bad file or record is reported with its path and reason and leaves the store as it was; the
rest of the run goes on. With `strict`, any failure stops the run before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col, select
from tqdm import tqdm

from ingest.chunking import ChunkBudget
from ingest.discovery import SourceFile, discover, outside_root
from ingest.parsed import ParsedDocument
from ingest.preparation import PreparedDocument, draft_of, make_chunks
from ingest.readers import read_document
from kb.db import transaction
from kb.errors import Conflict, DocumentFormatError, KBError
from kb.lifecycle import set_status
from kb.models import Document
from kb.sources import KnownSource, known_sources, set_sources
from kb.store import SaveResult, save_draft
from kb.vocabulary import Status

MULTI_RECORD_SUFFIXES = {".csv", ".jsonl"}
# A save that loses a race with another ingest storing the same document is tried again
# (it then finds the document stored, usually unchanged).
SAVE_ATTEMPTS = 3


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}
    document_ids: list[int] = field(default_factory=list)
    chunks_written: int = 0

    def fail(self, path: str, error: str) -> None:
        self.failed.append({"path": path, "error": error})

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "skipped": self.skipped,
            "chunks_written": self.chunks_written,
        }


@dataclass
class _Run:
    """What one ingest run keeps track of while it reads."""

    report: IngestReport
    known: dict[str, KnownSource]
    seen: dict[str, str] = field(default_factory=dict)  # source id -> where it was read
    # unchanged documents whose file moved or whose recorded source hash is out of date:
    # source id -> (path, content hash)
    resourced: dict[str, tuple[str, str]] = field(default_factory=dict)
    failed_files: set[str] = field(default_factory=set)


@dataclass
class Pending:
    prepared: PreparedDocument
    source_path: str


class Ingester:
    """Runs ingests against one store."""

    def __init__(self, engine: Engine, budget: ChunkBudget, *, max_file_bytes: int) -> None:
        self.engine = engine
        self.budget = budget
        self.max_file_bytes = max_file_bytes

    def ingest_paths(
        self,
        paths: Sequence[Path],
        *,
        author: str | None = None,
        prune: bool = False,
        strict: bool = False,
        progress: bool = False,
    ) -> IngestReport:
        """Ingest files and folders, each document in its own transaction."""
        report = IngestReport()
        found = discover(paths)
        for path in found.missing:
            report.fail(path, "no such file or folder")
        report.skipped = found.skipped
        files = found.files
        pending: list[Pending] = []
        with Session(self.engine) as session:
            run = _Run(report, known=known_sources(session))
        for source in tqdm(files, desc="reading", unit="file", disable=not progress):
            count_before = len(report.failed)
            pending.extend(self._read_file(source, run))
            if len(report.failed) > count_before:
                run.failed_files.add(str(source.path))
        if strict and report.failed:
            return report
        if strict:
            if not self._store_all_or_nothing(pending, report, author):
                return report
        else:
            for item in tqdm(pending, desc="storing", unit="doc", disable=not progress):
                self._store(item, report, author)
        if run.resourced:
            with transaction(self.engine) as session:
                set_sources(session, run.resourced)
        if prune:
            self._prune(paths, run.seen, run.failed_files, report, author)
        return report

    def _read_file(self, source: SourceFile, run: _Run) -> list[Pending]:
        """Parse and validate a file's documents; chunk only those that changed."""
        report, seen = run.report, run.seen
        try:
            parsed_items = self._parse(source, report)
        except DocumentFormatError as exc:
            report.fail(source.relative, exc.message)
            return []
        except OSError as exc:
            report.fail(source.relative, f"{source.relative}: cannot read the file: {exc.strerror}")
            return []
        except Exception as exc:  # a reader library's own failure on a malformed file
            reason = f"{type(exc).__name__}: {exc}"
            report.fail(source.relative, f"{source.relative}: cannot read the file ({reason})")
            return []
        pending: list[Pending] = []
        for parsed in parsed_items:
            try:
                draft = draft_of(
                    parsed, default_id=_default_id(source, parsed), default_title=source.path.stem
                )
            except KBError as exc:
                report.fail(parsed.origin or source.relative, exc.message)
                continue
            source_id = draft.source_id
            if source_id in seen:
                report.fail(
                    parsed.origin,
                    f"{parsed.origin}: duplicate id '{source_id}' (also in {seen[source_id]})",
                )
                continue
            seen[source_id] = parsed.origin
            known = run.known.get(source_id)
            if known is not None and _unchanged(known, draft.content_hash):
                report.unchanged.append(source_id)
                recorded = (str(source.path), draft.content_hash)
                if (known.source_path, known.source_hash) != recorded:
                    run.resourced[source_id] = recorded
                continue
            chunks = make_chunks(draft, self.budget)
            pending.append(
                Pending(PreparedDocument(draft, chunks, parsed.origin), str(source.path))
            )
        return pending

    def _parse(self, source: SourceFile, report: IngestReport) -> list[ParsedDocument]:
        if source.path.is_symlink() and outside_root(source):  # changed since discovery
            raise DocumentFormatError(
                f"{source.relative}: symbolic link to a file outside the folder being ingested"
            )
        size = source.path.stat().st_size
        if size > self.max_file_bytes:
            raise DocumentFormatError(
                f"{source.relative}: file is {size:,} bytes, over the limit of "
                f"{self.max_file_bytes:,} (KB_MAX_FILE_BYTES)"
            )
        result = read_document(
            source.path.read_bytes(), source.relative, source.path.suffix.lower()
        )
        for error in result.errors:
            report.fail(error.origin, error.message)
        for parsed in result.documents:
            parsed.origin = parsed.origin or source.relative
        return result.documents

    def _store(self, item: Pending, report: IngestReport, author: str | None) -> None:
        """Store one document in its own transaction; a save that collides with another
        process storing the same document is tried again."""
        for attempt in range(1, SAVE_ATTEMPTS + 1):
            try:
                with transaction(self.engine) as session:
                    result = self._save(session, item, author)
            except (IntegrityError, OperationalError, Conflict) as exc:
                if attempt == SAVE_ATTEMPTS:
                    report.fail(item.prepared.origin, _message(exc))
                    return
            except (KBError, SQLAlchemyError) as exc:
                report.fail(item.prepared.origin, _message(exc))
                return
            else:
                _record(report, item, result)
                return

    def _store_all_or_nothing(
        self, pending: list[Pending], report: IngestReport, author: str | None
    ) -> bool:
        """Strict mode: every document in one transaction; the first failure undoes them all."""
        results: list[tuple[Pending, SaveResult]] = []
        item: Pending | None = None
        try:
            with transaction(self.engine) as session:
                for item in pending:
                    results.append((item, self._save(session, item, author)))
        except (KBError, SQLAlchemyError) as exc:
            assert item is not None
            report.fail(item.prepared.origin, _message(exc))
            return False
        for done, result in results:
            _record(report, done, result)
        return True

    @staticmethod
    def _save(session: Session, item: Pending, author: str | None) -> SaveResult:
        draft = item.prepared.draft
        return save_draft(
            session,
            draft,
            item.prepared.chunks,
            author=author or draft.owner,
            source_path=item.source_path,
        )

    def _prune(
        self,
        paths: Iterable[Path],
        seen: dict[str, str],
        failed_files: set[str],
        report: IngestReport,
        author: str | None,
    ) -> None:
        """Mark deleted the documents whose files (or records) are gone from the given paths."""
        roots = [p.resolve() for p in paths if p.exists()]
        with transaction(self.engine) as session:
            documents = session.exec(
                select(Document).where(
                    Document.status != Status.deleted,
                    col(Document.source_path).is_not(None),
                )
            ).all()
            for document in documents:
                source = Path(document.source_path or "")
                if document.source_id in seen or str(source) in failed_files:
                    continue
                if any(source == root or root in source.parents for root in roots):
                    set_status(session, document, "deleted", actor=author)
                    document.source_hash = None  # its file is gone: if it comes back, read it
                    session.add(document)
                    report.deleted.append(document.source_id)
                    assert document.id is not None
                    report.document_ids.append(document.id)


def _unchanged(known: KnownSource, content_hash: str) -> bool:
    """Nothing to write: the file holds what it held when last ingested (so an edit made over
    the API since, or a delete, stands), or what the current version already holds."""
    if known.source_hash == content_hash:
        return True
    return known.current_hash == content_hash and known.status != Status.deleted


def _message(exc: KBError | SQLAlchemyError) -> str:
    """The error for the report: the database's own first line, never the statement or its
    parameters (SQLAlchemy's message holds both)."""
    if isinstance(exc, KBError):
        return exc.message
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().split("\n")[0]
    return f"database error: {reason}; nothing of this document was stored"


def _record(report: IngestReport, item: Pending, result: SaveResult) -> None:
    getattr(report, result.outcome).append(result.document.source_id)
    if result.outcome != "unchanged":
        report.chunks_written += len(item.prepared.chunks)
        assert result.document.id is not None
        report.document_ids.append(result.document.id)


def _default_id(source: SourceFile, parsed: ParsedDocument) -> str:
    """The file's relative path; for a record of a CSV or JSONL file without an `id`, the path
    and a digest of what names the record (a Q&A row's question, a bid row's reference and
    customer), so that editing an answer or an outcome makes a new version, not a new record."""
    if source.path.suffix.lower() in MULTI_RECORD_SUFFIXES:
        name = parsed.title or parsed.text
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        return f"{source.relative}#{digest}"
    return source.relative
