"""What every write over HTTP (API routes and web pages) does after its transaction: embed its
chunks and wait until this replica's search state holds it (its `seq` in the change log),
describe what was saved, warn about near-duplicates."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from api.context import Context
from api.schemas.documents import DocumentSaved, NearDuplicate
from ingest.preparation import PreparedDocument
from kb.access import viewer_of
from kb.changes import committed_seq
from kb.models import Person
from kb.store import HEADING_SEPARATOR, SaveResult
from search.duplicates import near_duplicates, unsaved_near_duplicates
from search.embedding_pass import embed_pending

logger = logging.getLogger(__name__)
NEAR_DUPLICATE_CHECK_MAX = 20


def similar_before_saving(
    context: Context, prepared: PreparedDocument, person: Person
) -> list[dict[str, Any]]:
    """Documents `person` may see that are very like `prepared`, before it is saved."""
    sections = [
        (c.embedding_text, f"{HEADING_SEPARATOR.join(c.heading_path)}\n{c.text}")
        for c in prepared.chunks
    ]
    return unsaved_near_duplicates(
        context.indexes,
        sections,
        language=prepared.draft.language,
        threshold=context.settings.near_duplicate_threshold,
        viewer=viewer_of(person),
    )


def saved(result: SaveResult) -> DocumentSaved:
    document = result.document
    assert document.id is not None
    return DocumentSaved(
        id=document.id,
        source_id=document.source_id,
        version=result.version.number,
        kind=document.kind,
        title=document.title,
        changed=result.outcome != "unchanged",
    )


def make_searchable(
    context: Context, session: Session, document_ids: Sequence[int | None] = ()
) -> int | None:
    """After `session`'s write committed: embed its new chunks (unless `kb worker` processes
    do) and wait until this replica applied it. Returns the last seq the write took (pass it as
    a search's `min_seq` to read the write on any replica). The write stands even if this fails
    (the indexes are derived): its text is keyword-searchable once applied, and `kb check`
    shows chunks without vectors."""
    return searchable_from(context, committed_seq(session), document_ids)


def searchable_from(
    context: Context, seq: int | None, document_ids: Sequence[int | None] = ()
) -> int | None:
    """`make_searchable` for a write whose last seq is `seq`."""
    try:
        if not context.settings.embedding_workers:
            ids = [d for d in document_ids if d is not None]
            embedded = embed_pending(context.engine, context.embedder, ids).seq if ids else None
            seq = embedded if embedded is not None else seq
        context.applied(seq)
    except Exception:  # noqa: BLE001 - any failure here must not turn a saved write into a 500
        logger.exception("embedding or applying a committed write failed")
    return seq


def with_near_duplicates(
    documents: list[DocumentSaved], person: Person, context: Context
) -> list[DocumentSaved]:
    """Warn (never block) about existing documents the caller can see that are very alike
    (skipped for bulk uploads: a warning per row of a large CSV would help nobody)."""
    if len(documents) > NEAR_DUPLICATE_CHECK_MAX:
        return documents
    try:
        found = near_duplicates(
            context.indexes,
            [d.id for d in documents],
            viewer=viewer_of(person),
            threshold=context.settings.near_duplicate_threshold,
            min_seq=max((d.seq or 0 for d in documents), default=None),
        )
    except Exception:  # noqa: BLE001 - a warning that cannot be computed is left out
        logger.exception("near-duplicate check failed")
        return documents
    for document in documents:
        document.near_duplicates = [NearDuplicate(**m) for m in found.get(document.id, [])]
    return documents
