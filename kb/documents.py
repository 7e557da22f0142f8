"""Validation of document fields by kind: raw front matter / JSON in, a clean draft out."""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kb.errors import DocumentFormatError
from kb.glossary import parse_glossary
from kb.language import detect_language
from kb.vocabulary import (
    FIELDS_BY_NAME,
    WRITABLE_STATUSES,
    Confidentiality,
    Kind,
    Language,
    Outcome,
    Shape,
    Status,
    required_fields,
    values,
)

# /documents/{id}/versions etc. are routes: an id ending like one could not be addressed.
RESERVED_ID_ENDINGS = (
    "/versions",
    "/diff",
    "/review",
    "/archive",
    "/restore",
    "/verifiers",
    "/pending",
)
MAX_REVIEW_INTERVAL_DAYS = 3650  # ten years: a review interval longer than that means none
# Fields stored on the document row itself rather than in `meta`.
ROW_FIELDS = ("id", "kind", "title", "language", "owner", "confidentiality", "status")


@dataclass
class DocumentDraft:
    """A validated document, ready to be versioned and stored."""

    source_id: str
    kind: str
    title: str
    text: str
    language: str
    owner: str | None
    confidentiality: str
    status: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Identifies a version: any change to text, title or fields makes a new one."""
        payload = {
            "kind": self.kind,
            "title": self.title,
            "text": self.text,
            "language": self.language,
            "owner": self.owner,
            "confidentiality": self.confidentiality,
            "status": self.status,
            "meta": self.meta,
        }
        return sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """NFC, unix newlines, no trailing spaces and no NUL characters (PostgreSQL cannot store
    them in text): the form that is hashed and stored."""
    text = text.replace("\x00", "")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def build_draft(
    fields: dict[str, Any], text: str, *, origin: str, default_id: str, default_title: str
) -> DocumentDraft:
    """Validate raw fields for their kind; errors name the file and the field."""
    kind = str(fields.get("kind") or Kind.product_note).strip()
    if kind not in values(Kind):
        raise DocumentFormatError(
            f"{origin}: unknown kind '{kind}' (expected one of {', '.join(values(Kind))})"
        )
    meta = {k: v for k, v in fields.items() if k not in ROW_FIELDS}
    meta = _clean_meta(meta, origin)
    if kind == Kind.qa and "answer" in meta and not text.strip():
        text = str(meta["answer"])
    text = normalise(text)
    if not text:
        raise DocumentFormatError(f"{origin}: empty document")
    missing = [name for name in required_fields(kind) if meta.get(name) in (None, "", [])]
    if missing:
        raise DocumentFormatError(f"{origin}: kind '{kind}' requires field(s) {', '.join(missing)}")
    if kind == Kind.bid_result and meta["outcome"] not in values(Outcome):
        raise DocumentFormatError(
            f"{origin}: field 'outcome' must be one of {', '.join(values(Outcome))} "
            f"(got '{meta['outcome']}')"
        )
    if kind == Kind.glossary:
        parse_glossary(text, origin)  # a glossary that does not parse is refused
    source_id = _text(fields.get("id"), "id", origin) or default_id
    if source_id.endswith(RESERVED_ID_ENDINGS):
        raise DocumentFormatError(
            f"{origin}: id '{source_id}' ends like an API path "
            f"({', '.join(RESERVED_ID_ENDINGS)}), so it could not be looked up; choose another"
        )
    if source_id.isdigit():
        raise DocumentFormatError(
            f"{origin}: id '{source_id}' is all digits, which kb keeps for its own document "
            f"numbers (`kb show 12` means document 12); give it a prefix, e.g. 'doc-{source_id}'"
        )
    title = _text(fields.get("title"), "title", origin) or default_title
    return DocumentDraft(
        source_id=source_id,
        kind=kind,
        title=normalise(title),
        text=text,
        language=_language(fields.get("language"), text, origin),
        owner=_text(fields.get("owner"), "owner", origin),
        confidentiality=_choice(
            fields, "confidentiality", values(Confidentiality), Confidentiality.internal, origin
        ),
        status=_choice(fields, "status", values(WRITABLE_STATUSES), Status.active, origin),
        meta=meta,
    )


def _clean_meta(meta: dict[str, Any], origin: str) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in meta.items():
        if value is None or value == "" or value == []:
            continue
        known = FIELDS_BY_NAME.get(name)
        clean[name] = _clean_value(known.shape, value, name, origin) if known else _jsonable(value)
    return clean


def _clean_value(shape: Shape, value: Any, name: str, origin: str) -> Any:
    if shape is Shape.list:
        return _list(value, name, origin)
    if shape is Shape.date:
        return _date(value, name, origin)
    if shape is Shape.text:
        return _text(value, name, origin)
    if shape is Shape.days:
        return _positive_int(value, name, origin, MAX_REVIEW_INTERVAL_DAYS)
    if shape is Shape.number:
        return _number(value, name, origin)
    return str(value).strip().lower()  # Shape.outcome: checked against the kind


def _text(value: Any, name: str, origin: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise DocumentFormatError(
            f"{origin}: field '{name}' must be text, not {type(value).__name__}"
        )
    text = str(value).strip()
    return text or None


def _list(value: Any, name: str, origin: str) -> list[str]:
    if isinstance(value, str):
        items = [part for part in value.replace("；", ";").split(";")]
        if len(items) == 1:
            items = value.split(",")
    elif isinstance(value, (list, tuple, dict)):
        items = [str(item) for item in value if not isinstance(item, (dict, list))]
        if isinstance(value, dict) or len(items) != len(value):
            raise DocumentFormatError(f"{origin}: field '{name}' must be a list of text values")
    else:
        items = [str(value)]
    return [item.strip() for item in items if item.strip()]


def _date(value: Any, name: str, origin: str) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise DocumentFormatError(
            f"{origin}: field '{name}' must be a date YYYY-MM-DD (got '{value}')"
        ) from None


def _positive_int(value: Any, name: str, origin: str, maximum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        number = 0
    if not 0 < number <= maximum or isinstance(value, bool):
        raise DocumentFormatError(
            f"{origin}: field '{name}' must be a whole number from 1 to {maximum:,}"
        )
    return number


def _number(value: Any, name: str, origin: str) -> float:
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DocumentFormatError(f"{origin}: field '{name}' must be a number (got '{value}')")
    return number


def _choice(
    fields: dict[str, Any], name: str, allowed: tuple[str, ...], default: str, origin: str
) -> str:
    value = str(fields.get(name) or default).strip().lower()
    if value not in allowed:
        raise DocumentFormatError(
            f"{origin}: field '{name}' must be one of {', '.join(allowed)} (got '{value}')"
        )
    return value


def _language(value: Any, text: str, origin: str) -> str:
    if value is None or str(value).strip() == "":
        return detect_language(text)
    lang = str(value).strip().lower()
    aliases = {
        "zh-cn": "zh",
        "cn": "zh",
        "chinese": "zh",
        "中文": "zh",
        "english": "en",
        "en-us": "en",
    }
    lang = aliases.get(lang, lang)
    if lang not in values(Language):
        raise DocumentFormatError(
            f"{origin}: field 'language' must be one of {', '.join(values(Language))} "
            f"(got '{value}')"
        )
    return lang


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
