"""JSON Lines: one object per line with `id`, `title` and `text`; other keys become fields."""

from __future__ import annotations

import json
from typing import Any

from ingest.decoding import decode_text
from ingest.parsed import ParsedDocument, ReadResult, RecordError
from kb.errors import DocumentFormatError

REQUIRED_KEYS = ("id", "title", "text")


def read(data: bytes, origin: str) -> ReadResult:
    """A document per line; bad lines come back as RecordErrors and the rest still count."""
    result = ReadResult()
    seen: dict[str, int] = {}
    for line_number, line in enumerate(decode_text(data, origin).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{origin}:{line_number}"
        try:
            record = _record(line, seen, line_number)
        except ValueError as exc:
            result.errors.append(RecordError(where, str(exc)))
            continue
        fields = {key: value for key, value in record.items() if key != "text"}
        result.documents.append(ParsedDocument(record["text"], fields, where, record["title"]))
    if not result.documents:
        if not result.errors:
            raise DocumentFormatError(f"{origin}: empty document")
        first = result.errors[0]
        raise DocumentFormatError(
            f"{origin}: no valid lines ({len(result.errors)} bad; first: {first.origin}: "
            f"{first.message})"
        )
    return result


def _record(line: str, seen: dict[str, int], line_number: int) -> dict[str, Any]:
    """The object on `line`, checked; ValueError says what is wrong with it."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {_json_type(record)}")
    for key in REQUIRED_KEYS:
        value = record.get(key)
        if value is None:
            raise ValueError(f"missing `{key}`")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"`{key}` must be a non-empty string")
    if record["id"] in seen:
        raise ValueError(f"duplicate id {record['id']!r} (first on line {seen[record['id']]})")
    seen[record["id"]] = line_number
    return record


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean"}
    return "null" if value is None else names.get(type(value), "a number")
