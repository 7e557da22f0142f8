"""Reading a document's versions: one, all, their chunks, and the diff between two."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from kb.errors import NotFound
from kb.models import MAX_ROW_ID, Chunk, Document, DocumentVersion


def get_version(session: Session, document: Document, number: int) -> DocumentVersion:
    if not 0 < number <= MAX_ROW_ID:  # beyond what the database can compare
        raise NotFound(f"document {document.id} has no version {number}")
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(
            f"document {document.id} has no version {number} "
            f"(versions 1 to {document.current_version})"
        )
    return version


def list_versions(session: Session, document: Document) -> list[DocumentVersion]:
    return list(
        session.exec(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(col(DocumentVersion.number))
        )
    )


def version_chunks(session: Session, version: DocumentVersion) -> list[Chunk]:
    return list(
        session.exec(
            select(Chunk).where(Chunk.version_id == version.id).order_by(col(Chunk.ordinal))
        )
    )


def diff_versions(session: Session, document: Document, old: int, new: int) -> str:
    """A unified diff of two versions' text (and title, when it changed)."""
    before = get_version(session, document, old)
    after = get_version(session, document, new)
    lines = difflib.unified_diff(
        _diffable(before).splitlines(keepends=True),
        _diffable(after).splitlines(keepends=True),
        fromfile=f"{document.source_id} v{old}",
        tofile=f"{document.source_id} v{new}",
    )
    return "".join(lines)


def _diffable(version: DocumentVersion) -> str:
    return f"# {version.title}\n\n{version.text}\n"


# Meta keys an earlier kb kept a version's owner and status under (now columns).
BOOKKEEPING_KEYS = {"_owner": "owner", "_status": "status"}


def move_bookkeeping_to_columns(session: Session) -> int:
    """Versions stored by an earlier kb kept their owner and status in `meta` (`_owner`,
    `_status`): move them into the columns, in place. Returns how many versions changed."""
    meta_text = cast(DocumentVersion.meta, Text)
    matches = [meta_text.like(f'%"\\{key}"%', escape="\\") for key in BOOKKEEPING_KEYS]
    changed = 0
    for version in session.exec(select(DocumentVersion).where(or_(*matches))):
        if not BOOKKEEPING_KEYS.keys() & version.meta.keys():
            continue
        meta = dict(version.meta)
        for key, column in BOOKKEEPING_KEYS.items():
            if key in meta:
                setattr(version, column, meta.pop(key))
        version.meta = meta
        session.add(version)
        changed += 1
    return changed


@dataclass(frozen=True)
class FieldChange:
    """One field that differs between two versions: a list field names what was added and
    removed; any other field its value before and after (None: not set)."""

    field: str
    before: Any = None
    after: Any = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "before": self.before,
            "after": self.after,
            "added": list(self.added),
            "removed": list(self.removed),
        }

    def describe(self) -> str:
        """One line for people, e.g. `tags: +rfp -draft` or `owner: li.na -> wang.min`."""
        if self.added or self.removed:
            parts = [f"+{v}" for v in self.added] + [f"-{v}" for v in self.removed]
            return f"{self.field}: {' '.join(parts)}"
        return f"{self.field}: {_shown(self.before)} -> {_shown(self.after)}"


def field_changes(before: DocumentVersion | None, after: DocumentVersion) -> list[FieldChange]:
    """What changed in the title and fields (tags, owner, confidentiality, status, ...) from
    `before` to `after`, sorted by field name; `before` None compares with nothing."""
    old, new = _fields(before), _fields(after)
    changes = []
    for name in sorted(set(old) | set(new)):
        was, now = old.get(name), new.get(name)
        if was == now:
            continue
        if isinstance(was, list) or isinstance(now, list):
            was_items, now_items = _items(was), _items(now)
            added = tuple(v for v in now_items if v not in was_items)
            removed = tuple(v for v in was_items if v not in now_items)
            if added or removed:
                changes.append(FieldChange(name, was, now, added, removed))
            elif was_items != now_items:
                changes.append(FieldChange(name, was, now))  # same items, new order
            continue
        changes.append(FieldChange(name, was, now))
    return changes


def _fields(version: DocumentVersion | None) -> dict[str, Any]:
    if version is None:
        return {}
    found = {**version.meta, "owner": version.owner, "status": version.status}
    found["title"] = version.title
    return {k: v for k, v in found.items() if v not in (None, "", [])}


def _items(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)
