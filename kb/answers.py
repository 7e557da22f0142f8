"""Approved answers: a Q&A answer is approved when its owner or a manager reviews it.

The approval is of the version reviewed: a new version of the answer is unapproved until it is
reviewed again. `approve_answer` is what every review path calls (POST /documents/{id}/review,
`kb review` and the review workflow).
"""

from __future__ import annotations

from kb.models import Document
from kb.vocabulary import Kind

APPROVED_KINDS = (Kind.qa,)


def approve_answer(document: Document) -> bool:
    """Approve the current version of a Q&A document (the caller has checked that the reviewer
    may); other kinds carry no approval. Returns whether the document is now approved."""
    if document.kind not in APPROVED_KINDS:
        return False
    document.approved_version = document.current_version
    return True


def is_approved(document: Document) -> bool:
    return document.kind in APPROVED_KINDS and document.approved_version == document.current_version
