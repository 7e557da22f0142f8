"""Printing for commands: JSON for machines, tables for people, CSV for spreadsheets."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from pydantic import BaseModel

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab and newline, DEL and C1 controls: ESC (and the C1 CSI) start sequences
# that recolour, rewrite or retitle a terminal; CR overwrites what a line showed.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text from documents made harmless for a terminal: each control character but newline
    and tab is shown as its escape (`\\x1b`), not sent raw. --json output needs no such care
    (JSON escapes them)."""
    return _TERMINAL_UNSAFE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def say(text: str, *, err: bool = False) -> None:
    """Print a line for people (see terminal_safe)."""
    typer.echo(terminal_safe(text), err=err)


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
    cells = [[terminal_safe(_cell(row.get(c))) for c in columns] for row in rows]
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
