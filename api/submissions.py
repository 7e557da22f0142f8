"""A request body (API route or web page) as the Submission ingest.submission writes."""

from __future__ import annotations

from api.schemas.documents import DocumentCreate, DocumentUpdate
from ingest.submission import Submission

BODY_ONLY = {"text", "change_note", "base_version"}  # request fields that are not fields


def new_submission(body: DocumentCreate) -> Submission:
    return Submission(
        fields=body.model_dump(exclude_none=True, exclude=BODY_ONLY),
        text=body.text,
        change_note=body.change_note,
    )


def revision_of(body: DocumentUpdate) -> Submission:
    """The fields the update gives (null clears one); the others keep their values."""
    return Submission(
        fields=body.model_dump(exclude_unset=True, exclude=BODY_ONLY),
        text=body.text,
        change_note=body.change_note,
    )
