"""What every write over HTTP (API routes and web pages) does after its transaction: bring
the search indexes in step, describe what was saved, warn about near-duplicates."""

from __future__ import annotations

import logging
from typing import Any

from api.context import Context
from api.schemas.documents import DocumentSaved, NearDuplicate
from ingest.preparation import PreparedDocument
from kb.access import viewer_of
from kb.models import Person
from kb.store import HEADING_SEPARATOR, SaveResult
from search.duplicates import near_duplicates, unsaved_near_duplicates

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


def make_searchable(context: Context) -> None:
    """Bring the indexes in step after a committed write. The write stands even if this fails
    (the indexes are derived): the next search retries, and `kb check` shows the gap."""
    try:
        context.indexes.sync()
    except Exception:  # noqa: BLE001 - any failure here must not turn a saved write into a 500
        logger.exception("index sync after a committed write failed; the next search retries")


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
        )
    except Exception:  # noqa: BLE001 - a warning that cannot be computed is left out
        logger.exception("near-duplicate check failed")
        return documents
    for document in documents:
        document.near_duplicates = [NearDuplicate(**m) for m in found.get(document.id, [])]
    return documents
