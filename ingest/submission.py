"""The write path for submissions over HTTP: a JSON document, an update of one, an upload.

(A submission is what a request asks to store; a contribution, in kb.contributions, is what
someone added to the knowledge base and is counted.)

Each function validates and chunks first (nothing written on a bad request), then writes into
the caller's session; the caller commits once (one transaction per request) and syncs the
search indexes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ingest.chunking import ChunkBudget
from ingest.parsed import ParsedDocument
from ingest.preparation import PreparedDocument, prepare
from kb.access import Viewer, may_change_status, may_own
from kb.edits import hold_edit, holds_edits
from kb.errors import (
    Forbidden,
    IdTaken,
    InvalidInput,
    VersionConflict,
)
from kb.lifecycle import set_status
from kb.models import Document, DocumentVersion, PendingEdit
from kb.people import find_person
from kb.store import SaveResult, find_by_source_id, save_draft
from kb.versions import get_version
from kb.vocabulary import Status

SOURCE_PREFIX = "api"
SLUG_CHARS = 48


@dataclass
class Submission:
    """Fields as front matter takes them (title, kind, products, ...), the text and a note."""

    fields: dict[str, Any]
    text: str | None
    change_note: str | None = None


def new_source_id(title: str) -> str:
    """`api/<slug-of-title>-<short uuid>`; the slug keeps Chinese characters."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-_")[:SLUG_CHARS].strip("-_")
    return f"{SOURCE_PREFIX}/{slug or 'document'}-{uuid.uuid4().hex[:8]}"


def submit_new(
    session: Session,
    budget: ChunkBudget,
    submission: Submission,
    *,
    author: str,
    viewer: Viewer | None = None,
) -> SaveResult:
    """Create a new document (its id taken from `fields["id"]` or made from the title)."""
    prepared = prepare_submission(session, budget, submission, author=author, viewer=viewer)
    return save_new(session, prepared, author=author, change_note=submission.change_note)


def save_new(
    session: Session, prepared: PreparedDocument, *, author: str, change_note: str | None
) -> SaveResult:
    """Store a document prepare_submission checked (in the same transaction)."""
    return save_draft(
        session,
        prepared.draft,
        prepared.chunks,
        author=author,
        change_note=change_note,
        create_only=True,
    )


def prepare_submission(
    session: Session,
    budget: ChunkBudget,
    submission: Submission,
    *,
    author: str,
    viewer: Viewer | None = None,
) -> PreparedDocument:
    """Check and chunk a new document without storing it (what `contribute` will save)."""
    fields = {"owner": author, **submission.fields}
    source_id = str(fields.get("id") or new_source_id(str(fields.get("title") or "")))
    fields["id"] = source_id
    _check_new_id(session, source_id)
    parsed = ParsedDocument(submission.text or "", fields, origin="request body")
    prepared = prepare(parsed, budget, default_id=source_id, default_title=source_id)
    _check_new_status(prepared.draft.status, viewer)
    check_owner(session, prepared.draft.owner)
    return prepared


def prepare_revision(
    session: Session,
    budget: ChunkBudget,
    document: Document,
    submission: Submission,
    *,
    base_version: int,
) -> PreparedDocument:
    """Validate and chunk a change of `document` from the version the author started from
    (409 when that is not the current one); nothing is written.

    Fields left out keep their current values; a field given as None is cleared. When the text
    changes, `updated` (the verification date) and a detected `language` are dropped unless
    given again: the edit itself is the new verification."""
    if base_version != document.current_version:
        raise VersionConflict(
            f"document {document.id} is at version {document.current_version}, not "
            f"{base_version}; fetch it again, reapply your change and send base_version "
            f"{document.current_version}",
            current_version=document.current_version,
        )
    current = get_version(session, document, document.current_version)
    text = submission.text if submission.text is not None else current.text
    fields = _revised_fields(current_fields(document, current), submission, text != current.text)
    fields["id"] = document.source_id
    parsed = ParsedDocument(text, fields, origin=f"document {document.id}")
    prepared = prepare(parsed, budget, default_id=document.source_id, default_title=current.title)
    if "owner" in submission.fields:
        check_owner(session, prepared.draft.owner)
    return prepared


def revise(
    session: Session,
    budget: ChunkBudget,
    document: Document,
    submission: Submission,
    *,
    base_version: int,
    author: str,
    owner_accepted: bool = False,
) -> SaveResult:
    """A new version of `document` (see prepare_revision), or a status change when only the
    status differs from the current version. The owner is told of someone else's version
    unless `owner_accepted` it (kb.store.save_draft)."""
    prepared = prepare_revision(session, budget, document, submission, base_version=base_version)
    try:
        result = save_draft(
            session,
            prepared.draft,
            prepared.chunks,
            author=author,
            change_note=submission.change_note,
            owner_accepted=owner_accepted,
        )
    except IntegrityError:  # another writer made that version number first
        session.rollback()
        session.refresh(document)
        raise VersionConflict(
            f"document {document.id} changed while saving; it is now at version "
            f"{document.current_version}",
            current_version=document.current_version,
        ) from None
    if result.outcome == "unchanged" and prepared.draft.status != document.status:
        # Only the status differs from the current version (archived since, no new version):
        # restoring (or archiving) is a status change, recorded as such.
        set_status(session, document, prepared.draft.status, actor=author)
        return SaveResult(document, result.version, "updated")
    return result


def revise_or_hold(
    session: Session,
    budget: ChunkBudget,
    document: Document,
    submission: Submission,
    *,
    base_version: int,
    author: str,
) -> SaveResult | PendingEdit:
    """A person's change to `document`, as its owner's team wants it: a new version (revise),
    or, for an approved Q&A of a team whose owners approve edits by others
    (kb.edits.holds_edits), validated and kept as a pending edit while the current version
    stays. Every way a person edits a document (PUT, the web edit page) comes here."""
    if not holds_edits(session, document, author):
        return revise(
            session, budget, document, submission, base_version=base_version, author=author
        )
    prepare_revision(session, budget, document, submission, base_version=base_version)
    return hold_edit(
        session,
        document,
        base_version=base_version,
        fields=submission.fields,
        text=submission.text,
        change_note=submission.change_note,
        author=author,
    )


def _revised_fields(
    fields: dict[str, Any], submission: Submission, text_changed: bool
) -> dict[str, Any]:
    """The current fields with the submission's applied (None clears one)."""
    if text_changed:
        for name in ("updated", "language"):
            if name not in submission.fields:
                fields.pop(name, None)
    for name, value in submission.fields.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def current_fields(document: Document, version: DocumentVersion) -> dict[str, Any]:
    """The fields a version was made from, as a contributor would write them."""
    fields = dict(version.meta)
    fields["title"] = version.title
    fields["owner"] = version.owner
    fields["status"] = document.status if document.status != Status.deleted else Status.active
    return fields


def store_upload(
    session: Session,
    prepared: list[PreparedDocument],
    *,
    author: str,
    change_note: str | None,
    viewer: Viewer | None = None,
) -> list[SaveResult]:
    results = []
    for item in prepared:
        _check_new_id(session, item.draft.source_id)
        _check_new_status(item.draft.status, viewer)
        check_owner(session, item.draft.owner)
        results.append(
            save_draft(
                session,
                item.draft,
                item.chunks,
                author=author,
                change_note=change_note,
                create_only=True,
            )
        )
    return results


def check_owner(session: Session, owner: str | None) -> None:
    """A contributed document's owner must be someone who can keep it up to date."""
    if owner is None:
        return
    person = find_person(session, owner)
    if not may_own(person):
        state = (
            "not a kb user"
            if person is None
            else "disabled"
            if person.disabled
            else (f"a {person.role}, who cannot update documents")
        )
        raise InvalidInput(
            f"owner '{owner}' is {state}; name an active contributor or manager "
            "(see `kb users list`)"
        )


def _check_new_id(session: Session, source_id: str) -> None:
    """Fail early, before chunking, on an id in use. The same answer for every document that
    holds it, seen or not, so it tells nothing about that document (docs: README, "ids").
    `save_draft(create_only=True)` checks again at the insert, for writers racing on an id."""
    if find_by_source_id(session, source_id) is not None:
        raise IdTaken.of(source_id)


def _check_new_status(status: str, viewer: Viewer | None) -> None:
    if status != Status.active and not may_change_status(viewer):
        raise Forbidden(
            f"only a manager may create a document with status '{status}'; leave 'status' out"
        )
