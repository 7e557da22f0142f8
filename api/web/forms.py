"""Contribution forms: which fields each kind's form shows, form text to request fields, and
validation messages placed beside the field they concern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kb.vocabulary import (
    Confidentiality,
    Kind,
    Outcome,
    Shape,
    fields_of_shape,
    required_fields,
    values,
)

COMMON_FIELDS = ("owner", "confidentiality", "products", "tags")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "product_note": ("updated",),
    "competitor_intel": ("competitor", "source", "observed"),
    "proposal": ("customer", "industry", "bid", "competitors"),
    "bid_result": (
        "bid",
        "customer",
        "industry",
        "outcome",
        "competitors",
        "amount",
        "decision_date",
        "reasons",
    ),
    "qa": ("question",),
    "glossary": ("updated",),  # the body is the glossary table
}
CHOICES: dict[str, tuple[str, ...]] = {
    "confidentiality": values(Confidentiality),
    "outcome": values(Outcome),
}
ALL_FIELDS = tuple(dict.fromkeys([*COMMON_FIELDS, *(f for k in Kind for f in KIND_FIELDS[k])]))
LIST_FIELDS = fields_of_shape(Shape.list)
DATE_FIELDS = fields_of_shape(Shape.date)


@dataclass(frozen=True)
class FormField:
    name: str
    widget: str  # text | date | number | select | lines
    required: bool
    choices: tuple[str, ...] = ()


def fields_for(kind: str) -> list[FormField]:
    required = required_fields(kind) if kind else ()
    return [
        FormField(name, _widget(name), name in required, CHOICES.get(name, ()))
        for name in (*KIND_FIELDS.get(kind, ()), *COMMON_FIELDS)
    ]


def _widget(name: str) -> str:
    if name in CHOICES:
        return "select"
    if name in DATE_FIELDS:
        return "date"
    if name == "amount":
        return "number"
    return "lines" if name == "reasons" else "text"


def request_fields(form: dict[str, str], kind: str) -> dict[str, Any]:
    """The kind's fields from form text: lists split on commas or lines (reasons on lines),
    numbers parsed, empty fields left out. Unparseable numbers stay text so validation names
    them."""
    fields: dict[str, Any] = {}
    for field in fields_for(kind):
        raw = form.get(field.name, "").strip()
        if not raw:
            continue
        if field.name in LIST_FIELDS:
            separator = r"\n" if field.name == "reasons" else r"[,，\n]"
            fields[field.name] = [p.strip() for p in re.split(separator, raw) if p.strip()]
        elif field.name == "amount":
            try:
                fields[field.name] = float(raw)
            except ValueError:
                fields[field.name] = raw
        else:
            fields[field.name] = raw
    return fields


def form_text(value: Any) -> str:
    """A stored field's value as the form shows it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's messages keyed by the field they concern ('' for the whole form)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ())]
        name = location[0] if location else ""
        errors.setdefault(name, str(error.get("msg", "invalid")))
    return errors


def place_message(message: str, names: tuple[str, ...]) -> dict[str, str]:
    """A domain error beside each field it names (else for the whole form)."""
    named = [n for n in names if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", message)]
    return {n: message for n in named} or {"": message}
