"""How much structure one file may hold, so that a small hostile file (a YAML alias bomb, a
.docx whose XML unpacks to gigabytes, markup nested thousands deep, millions of paragraphs)
is refused with a clear message in well under a second instead of exhausting memory or time.

The bounds sit far above what real documents hold (see docs/format.md); a file over one is
refused whole with a message that says which bound it crossed and what to do.
"""

from __future__ import annotations

from typing import Any

from kb.errors import DocumentFormatError

MAX_LINES = 30_000  # non-blank lines of text in one document (any format, as read)
MAX_HTML_TAGS = 50_000  # tags in one HTML page
MAX_HTML_DEPTH = 256  # elements nested in one another in HTML
MAX_FIELD_DEPTH = 16  # lists/objects nested in one front-matter or JSONL field
MAX_DOCX_PARAGRAPHS = 30_000  # paragraphs and table rows in one Word document
MAX_DOCX_XML_BYTES = 64_000_000  # unpacked size of one XML part of a .docx
MAX_DOCX_UNPACKED_BYTES = 256_000_000  # unpacked size of all parts of a .docx (images too)


def check_lines(text: str, origin: str) -> None:
    """Refuse text of more than MAX_LINES non-blank lines (chunking parses it line by line;
    blank lines between paragraphs cost next to nothing and are not counted)."""
    lines = text.count("\n") + 1 - text.count("\n\n")
    if lines > MAX_LINES:
        raise DocumentFormatError(
            f"{origin}: {lines:,} lines, over the limit of {MAX_LINES:,} for one document; "
            "split it into smaller files"
        )


def field_problem(name: str, value: Any) -> str | None:
    """What is wrong with a raw field's value (too deeply nested, a NUL character), or None.
    Walks the value without recursion, so any depth is safe to check."""
    stack: list[tuple[Any, int]] = [(name, 0), (value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return f"field '{name}' holds a NUL character"
        elif isinstance(item, (list, tuple, dict)):
            if depth > MAX_FIELD_DEPTH:
                return f"field '{name}' is nested more than {MAX_FIELD_DEPTH} levels deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else list(item)
            stack.extend((child, depth + 1) for child in children)
    return None
