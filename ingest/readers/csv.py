"""CSV files of Q&A pairs or bid results, one document per row; the header tells them apart."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from ingest.decoding import decode_text
from ingest.parsed import ParsedDocument, ReadResult, RecordError
from kb.errors import DocumentFormatError
from kb.vocabulary import Kind, Outcome, Shape, fields_of_shape, required_fields

LIST_COLUMNS = frozenset(fields_of_shape(Shape.list))
# The columns that tell the kinds apart: the fields each kind requires (a Q&A's answer is its text).
QA_COLUMNS = (*required_fields(Kind.qa), "answer")
BID_COLUMNS = required_fields(Kind.bid_result)
_OUTCOME_ZH = {
    Outcome.won: "中标",
    Outcome.lost: "未中标",
    Outcome.withdrawn: "撤回",
    Outcome.pending: "待定",
}

RowReader = Callable[[dict[str, str]], ParsedDocument]


def read(data: bytes, origin: str) -> ReadResult:
    """A document per row; rows missing a required value come back as RecordErrors."""
    try:
        rows = list(csv.reader(io.StringIO(decode_text(data, origin))))
    except csv.Error as exc:
        raise DocumentFormatError(f"{origin}: invalid CSV: {exc}") from exc
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise DocumentFormatError(f"{origin}: empty document")
    header = [name.strip().lower() for name in rows[0]]
    required, row_reader = _shape(header, origin)
    result = ReadResult()
    seen: dict[str, int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
        if not any(values.values()):
            continue
        where = f"{origin}:{line}"
        problem = _problem(values, required, len(cells), len(header), seen, line)
        if problem:
            result.errors.append(RecordError(where, problem))
            continue
        document = row_reader(values)
        document.origin = where
        result.documents.append(document)
    if not result.documents and not result.errors:
        raise DocumentFormatError(f"{origin}: no rows under the header")
    return result


def split_list(value: str) -> list[str]:
    """`a; b；c` → ["a", "b", "c"], dropping empty items."""
    return [item.strip() for item in value.replace("；", ";").split(";") if item.strip()]


def _shape(header: list[str], origin: str) -> tuple[tuple[str, ...], RowReader]:
    if set(QA_COLUMNS) <= set(header):
        return QA_COLUMNS, _qa
    if set(BID_COLUMNS) <= set(header):
        return BID_COLUMNS, _bid_result
    raise DocumentFormatError(
        f"{origin}: unrecognised CSV header ({', '.join(header)}); expected Q&A columns "
        f"`{','.join(QA_COLUMNS)}` or bid result columns `{','.join(BID_COLUMNS)}`"
    )


def _problem(
    values: dict[str, str],
    required: tuple[str, ...],
    n_cells: int,
    n_columns: int,
    seen: dict[str, int],
    line: int,
) -> str | None:
    missing = [name for name in required if not values.get(name)]
    if missing:
        return "missing value for " + ", ".join(f"`{name}`" for name in missing)
    if n_cells > n_columns:
        return f"{n_cells} cells but the header has {n_columns} columns (a stray comma?)"
    key = values.get("id") or values.get("bid")
    if key and key in seen:
        return f"duplicate id {key!r} (first on line {seen[key]})"
    if key:
        seen[key] = line
    return None


def _fields(values: dict[str, str], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        name: split_list(value) if name in LIST_COLUMNS else value
        for name, value in values.items()
        if value and name not in skip
    }


def _qa(values: dict[str, str]) -> ParsedDocument:
    fields = {**_fields(values, skip=("answer",)), "kind": Kind.qa.value}
    return ParsedDocument(values["answer"], fields, title=values["question"])


def _bid_result(values: dict[str, str]) -> ParsedDocument:
    fields = {**_fields(values), "kind": Kind.bid_result.value, "id": values["bid"]}
    title = f"{values['bid']} {values['customer']}"
    return ParsedDocument(_bid_summary(fields), fields, title=title)


def _bid_summary(fields: dict[str, Any]) -> str:
    """A short readable Markdown summary, so that bid results are found by search."""
    outcome = fields["outcome"]
    label = _OUTCOME_ZH.get(outcome.lower())
    parts = [
        f"Bid {fields['bid']} for {fields['customer']}: {outcome}{f' ({label})' if label else ''}."
    ]
    details = [
        ("Industry", fields.get("industry")),
        ("Products", ", ".join(fields.get("products", []))),
        ("Competitors", ", ".join(fields.get("competitors", []))),
        ("Amount", f"{fields['amount']} CNY" if fields.get("amount") else None),
        ("Decision date", fields.get("decision_date")),
    ]
    if any(value for _, value in details):
        parts.append("\n".join(f"- {name}: {value}" for name, value in details if value))
    if fields.get("reasons"):
        parts.append("\n".join(["Reasons:", *(f"- {reason}" for reason in fields["reasons"])]))
    return "\n\n".join(parts)
