"""An uploaded file read into documents, all valid or none (ingest.submission stores them)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from ingest.chunking import ChunkBudget
from ingest.preparation import PreparedDocument, prepare
from ingest.readers import read_document
from ingest.submission import new_source_id
from kb.errors import DocumentFormatError, InvalidInput, PayloadTooLarge


def read_upload(
    budget: ChunkBudget,
    data: bytes,
    filename: str,
    *,
    overrides: dict[str, Any],
    author: str,
    max_bytes: int,
) -> list[PreparedDocument]:
    """Documents in an uploaded file, all valid or none: any bad record fails the upload."""
    name = PurePath(filename or "upload").name
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"{name}: file is over the limit of {max_bytes:,} bytes (KB_MAX_FILE_BYTES)"
        )
    suffix = PurePath(name).suffix
    result = read_document(data, name, suffix)
    if result.errors:
        problems = "; ".join(f"{e.origin}: {e.message}" for e in result.errors[:5])
        more = f" (and {len(result.errors) - 5} more)" if len(result.errors) > 5 else ""
        raise DocumentFormatError(
            f"{name}: {len(result.errors)} bad record(s), nothing stored: {problems}{more}"
        )
    if "title" in overrides and len(result.documents) > 1:
        raise InvalidInput(
            f"{name} holds {len(result.documents)} documents; a title can only be given for a "
            "file that holds one"
        )
    base = new_source_id(PurePath(name).stem)
    prepared: list[PreparedDocument] = []
    for number, parsed in enumerate(result.documents, start=1):
        parsed.fields = {"owner": author, **parsed.fields, **overrides}
        parsed.origin = parsed.origin or name
        default_id = base if len(result.documents) == 1 else f"{base}#{number}"
        prepared.append(prepare(parsed, budget, default_id=default_id, default_title=name))
    _check_unique(prepared)
    return prepared


def _check_unique(prepared: list[PreparedDocument]) -> None:
    seen: dict[str, str] = {}
    for item in prepared:
        source_id = item.draft.source_id
        if source_id in seen:
            raise DocumentFormatError(
                f"{item.origin}: duplicate id '{source_id}' (also in {seen[source_id]})"
            )
        seen[source_id] = item.origin
