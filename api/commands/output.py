"""Printing for commands: JSON for machines, tables for people, CSV for spreadsheets."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

import typer
from pydantic import BaseModel

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def print_model(model: BaseModel, *, exclude_unset: bool = False) -> None:
    """A response model exactly as the API sends it (`--json` prints the API's shapes)."""
    print_json(model.model_dump(mode="json", by_alias=True, exclude_unset=exclude_unset))


def print_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _spreadsheet_safe(_cell(row.get(k))) for k in columns})


def _spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula (a title such as `=HYPERLINK(...)`) is
    prefixed with an apostrophe, which spreadsheets show as text."""
    return f"'{text}" if text[:1] in FORMULA_STARTS else text


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        typer.echo("(nothing)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(_width(c), *(_width(r[i]) for r in cells)) for i, c in enumerate(columns)]
    typer.echo("  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        typer.echo("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
