"""Telling owners of edits by others: the one rule for every way a version is written (PUT, the
web edit page, an upload, `kb ingest`), applied by kb.store where versions are written."""

from __future__ import annotations

from sqlmodel import Session

from kb.models import Document, DocumentVersion
from kb.outbox import Message, notify
from kb.people import SYSTEM_IDENTITIES
from kb.versions import field_changes, get_version
from kb.vocabulary import Topic


def edited_by_other(owner: str | None, author: str | None) -> bool:
    """Whether a version by `author` of a document `owner` owns is someone else's edit: a
    person other than the owner (the set-up's imports are no one's edits)."""
    return bool(owner) and author != owner and author not in SYSTEM_IDENTITIES


def tell_owner_of_edit(
    session: Session,
    document: Document,
    version: DocumentVersion,
    *,
    author: str | None,
    owner: str | None,
) -> None:
    """Notify `owner` (the document's owner before the change) of a new version someone else
    wrote, naming what changed."""
    if owner is None or not edited_by_other(owner, author) or version.number < 2:
        return
    previous = get_version(session, document, version.number - 1)
    changes = [c.describe() for c in field_changes(previous, version)]
    if version.text != previous.text:
        changes.append("text changed")
    who = author or "Someone"
    message = Message(
        Topic.edit_by_other,
        f"{who} changed {document.title}",
        f"{who} wrote version {version.number} of '{document.title}' (document {document.id}):\n"
        + "\n".join(f"- {line}" for line in changes or ["no field or text change"])
        + (f"\nNote: {version.change_note}" if version.change_note else ""),
        document.id,
    )
    notify(session, owner, f"edit/{document.id}/{version.number}", message)
