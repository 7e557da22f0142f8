"""The team's glossary: one name for one thing, in Chinese and English.

Glossary entries live in documents of kind `glossary` (versioned and owned like every document),
as a Markdown table with the columns `name | type | zh | en | variants | note`; list cells
separate their values with `;`. `name` is the canonical name; `zh`, `en` and `variants` hold its
equivalents, abbreviations and common spellings. Metadata values (competitor, industry, product,
customer) are matched by any of these forms and shown by the canonical name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb.errors import DocumentFormatError
from kb.models import Document, DocumentVersion
from kb.vocabulary import (
    FIELDS_BY_FILTER,
    METADATA_FIELDS,
    EntryType,
    Kind,
    Status,
    field_values,
    values,
)

GLOSSARY_KIND = Kind.glossary.value
ENTRY_TYPES = values(EntryType)
COLUMNS = ("name", "type", "zh", "en", "variants", "note")
# Metadata field (or its filter name) -> the entry type whose forms name its values.
FIELD_TYPES: dict[str, str] = {
    **{f.name: f.named_by.value for f in METADATA_FIELDS if f.named_by},
    **{key: f.named_by.value for key, f in FIELDS_BY_FILTER.items() if f.named_by},
}
_IGNORED_IN_KEYS = re.compile(r"[\s\-_·・/]+")
_LIST_SEPARATOR = re.compile(r"[;；]")


def form_key(text: str) -> str:
    """How forms are compared: NFKC, lowercase, without spaces, hyphens and slashes (so
    `Huawei Cloud`, `huawei-cloud` and `HUAWEICLOUD` are one form)."""
    return _IGNORED_IN_KEYS.sub("", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True)
class GlossaryEntry:
    name: str
    type: str
    zh: tuple[str, ...] = ()
    en: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    note: str = ""
    document: str = ""  # source id of the glossary document that holds it

    @property
    def forms(self) -> tuple[str, ...]:
        """Every way of writing it: the canonical name first, then zh, en and variants."""
        seen: dict[str, str] = {}
        for form in (self.name, *self.zh, *self.en, *self.variants):
            seen.setdefault(form_key(form), form)
        return tuple(seen.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "zh": list(self.zh),
            "en": list(self.en),
            "variants": list(self.variants),
            "note": self.note,
            "document": self.document,
        }


def parse_glossary(text: str, origin: str, document: str = "") -> list[GlossaryEntry]:
    """The entries of a glossary document's table; errors name the line and the problem."""
    rows = [(number, line) for number, line in enumerate(text.split("\n"), 1) if _is_row(line)]
    if not rows:
        raise DocumentFormatError(
            f"{origin}: a glossary needs a Markdown table with the columns {' | '.join(COLUMNS)}"
        )
    header = [cell.lower() for cell in _cells(rows[0][1])]
    missing = [name for name in ("name", "type") if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problem = f"lacks {', '.join(missing)}" if missing else f"has unknown {', '.join(unknown)}"
        raise DocumentFormatError(
            f"{origin}: line {rows[0][0]}: the glossary table's header {problem} "
            f"(columns: {' | '.join(COLUMNS)})"
        )
    entries: list[GlossaryEntry] = []
    names: dict[tuple[str, str], int] = {}
    for number, line in rows[1:]:
        cells = _cells(line)
        if all(set(cell) <= set("-: ") for cell in cells):
            continue  # the separator row
        entry = _entry(dict(zip(header, cells, strict=False)), f"{origin}: line {number}", document)
        key = (entry.type, form_key(entry.name))
        if key in names:
            raise DocumentFormatError(
                f"{origin}: line {number}: '{entry.name}' ({entry.type}) is already on line "
                f"{names[key]}"
            )
        names[key] = number
        entries.append(entry)
    if not entries:
        raise DocumentFormatError(f"{origin}: the glossary table has no entries")
    return entries


def _is_row(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def _entry(cells: dict[str, str], where: str, document: str) -> GlossaryEntry:
    name = cells.get("name", "")
    if not name:
        raise DocumentFormatError(f"{where}: a glossary entry needs a name")
    kind = cells.get("type", "").lower()
    if kind not in ENTRY_TYPES:
        raise DocumentFormatError(
            f"{where}: '{name}' has type '{kind}'; use one of {', '.join(ENTRY_TYPES)}"
        )
    return GlossaryEntry(
        name=name,
        type=kind,
        zh=_values(cells.get("zh", "")),
        en=_values(cells.get("en", "")),
        variants=_values(cells.get("variants", "")),
        note=cells.get("note", ""),
        document=document,
    )


def _values(cell: str) -> tuple[str, ...]:
    return tuple(value.strip() for value in _LIST_SEPARATOR.split(cell) if value.strip())


class Glossary:
    """Entries by form. A form two entries of one type claim belongs to the first (by
    canonical name), so resolution never depends on load order."""

    def __init__(self, entries: Iterable[GlossaryEntry] = ()) -> None:
        self.entries = sorted(entries, key=lambda e: (e.type, form_key(e.name)))
        self._typed: dict[tuple[str, str], GlossaryEntry] = {}
        self._any: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            for form in entry.forms:
                key = form_key(form)
                self._typed.setdefault((entry.type, key), entry)
                holders = self._any.setdefault(key, [])
                if entry not in holders:
                    holders.append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, form: str, entry_type: str | None = None) -> GlossaryEntry | None:
        """The entry written `form` (of `entry_type`, when given), or None."""
        key = form_key(form)
        if entry_type is not None:
            return self._typed.get((entry_type, key))
        holders = self._any.get(key)
        return holders[0] if holders else None

    def entries_of(self, form: str) -> list[GlossaryEntry]:
        """Every entry (of any type) written `form`."""
        return list(self._any.get(form_key(form), ()))

    def search(self, text: str = "", entry_type: str | None = None) -> list[GlossaryEntry]:
        """Entries of `entry_type` (all when None) with a form or note containing `text`."""
        wanted = form_key(text)
        return [
            entry
            for entry in self.entries
            if (entry_type is None or entry.type == entry_type)
            and (not wanted or any(wanted in form_key(f) for f in (*entry.forms, entry.note)))
        ]

    def canonical(self, field: str, value: str) -> str:
        """The canonical name of a metadata value, or the value itself when the glossary does
        not know it (or the field is not one the glossary names)."""
        entry_type = FIELD_TYPES.get(field)
        entry = self.find(value, entry_type) if entry_type else None
        return entry.name if entry is not None else value

    def name_key(self, field: str, value: str) -> str:
        """The key every name of one thing shares: the form key of the value's canonical name
        (`华为云`, `Huawei` and `huawei-cloud` give one key). Compare and group metadata values
        (competitor, industry, product, customer; by field or filter name) by it."""
        return form_key(self.canonical(field, value))

    def holds(self, meta: Mapping[str, Any], field: str, wanted: Iterable[str]) -> bool:
        """Whether field `field` of `meta` (or a field aliased to it) names one of `wanted`,
        either side written in any form of its entry, in either language."""
        keys = {self.name_key(field, str(value)) for value in wanted}
        return any(self.name_key(field, value) in keys for value in field_values(meta, field))

    def canonical_meta(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        """`meta` with its competitor, industry, product and customer values canonical."""
        out = dict(meta)
        for name in FIELD_TYPES:
            value = out.get(name)
            if isinstance(value, list):
                out[name] = list(dict.fromkeys(self.canonical(name, str(v)) for v in value))
            elif isinstance(value, str):
                out[name] = self.canonical(name, value)
        return out


_cache: dict[str, tuple[tuple[tuple[int, int], ...], Glossary]] = {}


def load_glossary(session: Session) -> Glossary:
    """The glossary of the active glossary documents' current versions. Parsed again only
    when one of them changed (a cheap query tells)."""
    stamp = tuple(
        (int(doc_id), int(version))
        for doc_id, version in session.exec(
            select(Document.id, Document.current_version)
            .where(Document.kind == GLOSSARY_KIND, Document.status == Status.active.value)
            .order_by(col(Document.id))
        )
        if doc_id is not None
    )
    url = str(session.get_bind().engine.url)
    cached = _cache.get(url)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    glossary = Glossary(_entries_of(session, [doc_id for doc_id, _ in stamp]))
    _cache[url] = (stamp, glossary)
    return glossary


def _entries_of(session: Session, document_ids: list[int]) -> list[GlossaryEntry]:
    if not document_ids:
        return []
    rows = session.exec(
        select(Document.source_id, DocumentVersion.text)
        .join(DocumentVersion, col(DocumentVersion.document_id) == Document.id)
        .where(
            col(Document.id).in_(document_ids),
            DocumentVersion.number == Document.current_version,
        )
        .order_by(col(Document.id))
    )
    entries: list[GlossaryEntry] = []
    for source_id, text in rows:
        entries.extend(parse_glossary(text, source_id, source_id))
    return entries
