"""Document forms: which fields each kind's form shows (the kinds' metadata fields in
kb.vocabulary, so a field added there appears here), form text to request fields, and
validation messages placed beside the field they concern."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kb.vocabulary import (
    ALL_KINDS,
    FIELDS_BY_NAME,
    METADATA_FIELDS,
    Confidentiality,
    Kind,
    Outcome,
    Shape,
    fields_of_kind,
    required_fields,
    values,
)

# The document's own fields every form ends with; the metadata fields come from kb.vocabulary.
ROW_FIELDS = ("owner", "confidentiality")
# List fields whose items are sentences (one per line); other lists split on commas too.
LINE_LISTS = frozenset({"reasons"})
SHAPE_WIDGETS = {
    Shape.text: "text",
    Shape.list: "text",
    Shape.date: "date",
    Shape.number: "number",
    Shape.days: "number",
    Shape.outcome: "select",
}
CHOICES: dict[str, tuple[str, ...]] = {
    "confidentiality": values(Confidentiality),
    **{f.name: values(Outcome) for f in METADATA_FIELDS if f.shape is Shape.outcome},
}


@dataclass(frozen=True)
class FormField:
    name: str
    widget: str  # text | date | number | select | lines
    required: bool
    choices: tuple[str, ...] = ()
    shape: Shape = Shape.text


def fields_for(kind: str) -> list[FormField]:
    """The form of `kind`: the metadata fields the kind carries (kb.vocabulary), its required
    ones first, then those of its own, then those every kind has; then owner and
    confidentiality."""
    required = required_fields(kind)
    carried = [f for f in fields_of_kind(kind) if f.on_form]
    ordered = sorted(carried, key=lambda f: (f.name not in required, f.kinds == ALL_KINDS))
    return [
        *(_form_field(f.name, f.shape, f.name in required) for f in ordered),
        *(_form_field(name, Shape.text, False) for name in ROW_FIELDS),
    ]


def _form_field(name: str, shape: Shape, required: bool) -> FormField:
    widget = "lines" if name in LINE_LISTS else SHAPE_WIDGETS[shape]
    if name in CHOICES:
        widget = "select"
    return FormField(name, widget, required, CHOICES.get(name, ()), shape)


ALL_FIELDS = tuple(dict.fromkeys(f.name for kind in Kind for f in fields_for(kind)))


def request_fields(form: dict[str, str], kind: str) -> dict[str, Any]:
    """The kind's fields from form text (see parse_fields)."""
    return parse_fields(form, fields_for(kind))


def parse_fields(form: dict[str, str], fields: list[FormField]) -> dict[str, Any]:
    """Request fields from form text: lists split on commas or lines (LINE_LISTS on lines only),
    numbers parsed, empty fields left out. Unparseable numbers stay text so validation names
    them."""
    parsed: dict[str, Any] = {}
    for field in fields:
        raw = form.get(field.name, "").strip()
        if raw:
            parsed[field.name] = _parse(field, raw)
    return parsed


def _parse(field: FormField, raw: str) -> Any:
    if field.shape is Shape.list:
        separator = r"\n" if field.name in LINE_LISTS else r"[,，\n]"
        return [p.strip() for p in re.split(separator, raw) if p.strip()]
    number = {Shape.number: float, Shape.days: int}.get(field.shape)
    if number is None:
        return raw
    try:
        return number(raw)
    except ValueError:
        return raw


def fields_named(names: tuple[str, ...]) -> list[FormField]:
    """Form fields for metadata fields chosen by name (the upload page's, for any kind), then
    owner and confidentiality."""
    return [
        *(_form_field(name, FIELDS_BY_NAME[name].shape, False) for name in names),
        *(_form_field(name, Shape.text, False) for name in ROW_FIELDS),
    ]


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
