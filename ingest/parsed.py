"""What a reader hands to the pipeline: documents as text plus raw fields, before validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ParsedDocument:
    """One document read from a file (a CSV or JSONL file yields several).

    `text` is Markdown-like: headings as `#` lines and tables as Markdown tables, so the chunker
    can follow the structure. `fields` holds the raw front matter / JSONL keys / CSV columns
    (validated later by kb.documents). `origin` names the place for error messages, e.g.
    `bids/results.csv:7` or `notes/x200.md`.
    """

    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    origin: str = ""
    title: str | None = None


@dataclass
class RecordError:
    """One record of a multi-record file that could not be read (e.g. a bad JSONL line)."""

    origin: str
    message: str


@dataclass
class ReadResult:
    documents: list[ParsedDocument] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
