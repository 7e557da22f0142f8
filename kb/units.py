"""Units of reuse: what a suggestion offers and a draft takes, a whole proposal section or a
whole Q&A (question and answer), never a chunk cut mid-answer.

A proposal section is the chunks under one heading, in order, subsections included: for a
chunk, the heading that gave it its section type, widened to the outermost heading of the same
type above it (解决方案 > 总体架构 is the whole 解决方案 section; 解决方案 > 报价概要 is the
报价概要 subsection). A section longer than MAX_UNIT_CHARS keeps its own lead text (up to that
size) and lists its subsections, each with the ref that takes it alone. A Q&A document is one
unit.

A unit's `ref` is "CHUNK:DEPTH": the id of its first chunk and how many headings of that chunk's
path the unit spans (0 for a whole document). A plain chunk id names the section of that
chunk's full heading path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from kb.errors import NotFound
from kb.models import Chunk, Document, DocumentVersion
from kb.sections import HEADING_SEPARATOR, SECTIONED_KINDS, type_of_heading, type_of_path
from kb.store import row_id
from kb.vocabulary import Status

ANSWER_HEADING = re.compile(r"\banswer\b|答案|回答|答复|应答", re.IGNORECASE)
MAX_UNIT_CHARS = 4000  # a longer section lists its subsections instead of holding them


@dataclass
class Unit:
    document: Document
    version: int
    depth: int  # headings of the path the unit spans; 0: the whole document
    chunks: list[Chunk]  # in order (for a long section: its lead text only)
    section_type: str | None
    complete: bool = True  # False: a long section, see `subsections`
    subsections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.chunks[0].id}:{self.depth}"

    @property
    def heading_path(self) -> str:
        return HEADING_SEPARATOR.join(_headings(self.chunks[0])[: self.depth])

    @property
    def text(self) -> str:
        """The chunks' text in order, each subsection under its heading (### and deeper); a
        Q&A's answer as it stands."""
        if not self.depth:
            return "\n\n".join(chunk.text for chunk in self.chunks)
        parts: list[str] = []
        previous: list[str] = _headings(self.chunks[0])[: self.depth]
        for chunk in self.chunks:
            headings = _headings(chunk)
            for level in range(self.depth, len(headings)):
                if headings[: level + 1] != previous[: level + 1]:
                    parts.append(f"{'#' * min(level - self.depth + 3, 6)} {headings[level]}")
            parts.append(chunk.text)
            previous = headings
        return "\n\n".join(parts)


def unit_depth(document: Document, chunk: Chunk) -> int:
    """How many headings of `chunk`'s path its unit spans (0: the whole document)."""
    if document.kind not in SECTIONED_KINDS:
        return 0
    headings = _headings(chunk)
    kind = type_of_path(headings, document.title)
    typed = [i for i, h in enumerate(headings) if _type(h, document.title) == kind]
    if not typed:
        return len(headings)
    start = typed[-1]
    while start > 0 and _type(headings[start - 1], document.title) == kind:
        start -= 1
    return start + 1


def unit_of(session: Session, document: Document, chunk: Chunk, depth: int | None = None) -> Unit:
    """The unit `chunk` belongs to, or with `depth` the section that many headings of its path
    deep. Without `depth`, a section too long to hold narrows to the subsection holding `chunk`
    (down to the chunk's own heading, where it lists the subsections it cannot hold)."""
    siblings = _version_chunks(session, chunk.version_id)
    headings = _headings(chunk)
    explicit = depth is not None
    depth = unit_depth(document, chunk) if depth is None else depth
    members = _under(siblings, headings[:depth]) if depth else _answer(siblings)
    while not explicit and depth and depth < len(headings) and _too_long(members):
        depth += 1
        members = _under(siblings, headings[:depth])
    version = session.get(DocumentVersion, chunk.version_id)
    number = version.number if version else document.current_version
    prefix = headings[:depth]
    kind = (
        type_of_path(prefix, document.title) if document.kind in SECTIONED_KINDS and depth else None
    )
    unit = Unit(document, number, depth, members, kind)
    if depth and _too_long(members):
        _shorten(unit, prefix)
    return unit


def _answer(chunks: list[Chunk]) -> list[Chunk]:
    """A Q&A's answer: the chunks under its answer heading (## Approved answer, ## 答案), not
    its notes for presales; all of them when no heading names the answer."""
    found = [c for c in chunks if any(ANSWER_HEADING.search(h) for h in _headings(c))]
    return found or chunks


def _under(chunks: list[Chunk], prefix: list[str]) -> list[Chunk]:
    return [c for c in chunks if _headings(c)[: len(prefix)] == prefix]


def _too_long(chunks: list[Chunk]) -> bool:
    return sum(len(c.text) for c in chunks) > MAX_UNIT_CHARS


def unit_for_ref(session: Session, ref: str) -> Unit:
    """The unit a ref names ("CHUNK:DEPTH", or a chunk id)."""
    chunk_part, _, depth_part = str(ref).strip().partition(":")
    row = row_id(chunk_part)
    chunk = session.get(Chunk, row) if row is not None else None
    document = session.get(Document, chunk.document_id) if chunk is not None else None
    if chunk is None or document is None or document.status == Status.deleted:
        raise NotFound(f"no section or Q&A with ref '{ref}'")
    if depth_part:
        depth = int(depth_part) if depth_part.isdigit() else -1
        if not 0 <= depth <= len(_headings(chunk)):
            raise NotFound(f"no section or Q&A with ref '{ref}'")
    elif document.kind in SECTIONED_KINDS:
        depth = len(_headings(chunk))
    else:
        depth = 0
    return unit_of(session, document, chunk, depth)


def _shorten(unit: Unit, prefix: Sequence[str]) -> None:
    """Keep the section's own lead text (within MAX_UNIT_CHARS) and list its subsections."""
    members, depth = unit.chunks, len(prefix)
    lead: list[Chunk] = []
    for chunk in members:
        if len(_headings(chunk)) > depth or sum(len(c.text) for c in lead) >= MAX_UNIT_CHARS:
            break
        lead.append(chunk)
    seen: set[tuple[str, ...]] = set()
    for chunk in members:
        child = tuple(_headings(chunk)[: depth + 1])
        if len(child) > depth and child not in seen:
            seen.add(child)
            unit.subsections.append(
                {
                    "section": HEADING_SEPARATOR.join(child),
                    "section_type": type_of_path(child, unit.document.title),
                    "ref": f"{chunk.id}:{depth + 1}",
                }
            )
    unit.chunks, unit.complete = lead or members[:1], False


def _version_chunks(session: Session, version_id: int) -> list[Chunk]:
    query = select(Chunk).where(Chunk.version_id == version_id).order_by(col(Chunk.ordinal))
    found = list(session.exec(query))
    if not found:
        raise NotFound(f"version {version_id} has no chunks")
    return found


def _headings(chunk: Chunk) -> list[str]:
    return chunk.heading_path.split(HEADING_SEPARATOR) if chunk.heading_path else []


def _type(heading: str, title: str) -> str | None:
    return None if heading.strip() == title.strip() else type_of_heading(heading)
