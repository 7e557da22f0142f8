"""Two versions side by side: aligned text rows and the metadata fields that changed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kb.models import DocumentVersion


@dataclass(frozen=True)
class DiffRow:
    kind: str  # same | changed | removed | added
    left_number: int | None
    left: str
    right_number: int | None
    right: str


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str
    after: str


def side_by_side(before: str, after: str) -> list[DiffRow]:
    old, new = before.splitlines(), after.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("same", i + 1, old[i], j + 1, new[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        left, right = list(range(i1, i2)), list(range(j1, j2))
        for n in range(max(len(left), len(right))):
            i = left[n] if n < len(left) else None
            j = right[n] if n < len(right) else None
            kind = (
                "changed"
                if i is not None and j is not None
                else "removed"
                if j is None
                else "added"
            )
            rows.append(
                DiffRow(
                    kind,
                    None if i is None else i + 1,
                    "" if i is None else old[i],
                    None if j is None else j + 1,
                    "" if j is None else new[j],
                )
            )
    return rows


def field_changes(before: DocumentVersion, after: DocumentVersion) -> list[FieldChange]:
    """The title and every metadata field whose value differs between the two versions."""
    old: dict[str, Any] = {"title": before.title, **before.meta}
    new: dict[str, Any] = {"title": after.title, **after.meta}
    return [
        FieldChange(name, _shown(old.get(name)), _shown(new.get(name)))
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
