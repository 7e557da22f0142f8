"""Cut Markdown into chunks that follow its headings and fit a token budget (pure functions).

Blocks (paragraphs, lists, tables, code, ...) are cut from the source by markdown-it-py's line
maps, so chunk text is the original Markdown. Blocks of one section are packed greedily by summed
token counts; every packed text is counted again before it is accepted, so each chunk satisfies
`count_tokens(chunk.text) <= max_tokens`. Oversized blocks are split at sentence ends, then
words / CJK characters, then characters; tables by row groups that repeat the header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt

from kb.vocabulary import CJK_WIDE_RANGES

TokenCounter = Callable[[str], int]
BatchTokenCounter = Callable[[list[str]], list[int]]
Piece = tuple[str, int]  # text and its token count
Render = Callable[[Sequence[str]], str]
Splitter = Callable[[str], list[str]]

_PARSER = MarkdownIt("commonmark").enable("table").disable("inline")  # blocks are enough
_KINDS = {
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
}
_CJK = CJK_WIDE_RANGES  # one token-ish unit per character
_CLOSERS = r"”’」』）)\]\"'"
_SENTENCE_END = re.compile(rf"[。｡．！？；]+[{_CLOSERS}]*\s*|[.!?]+[{_CLOSERS}]*\s+")
_WORD = re.compile(rf"\s+|[{_CJK}]\s*|[^\s{_CJK}]+\s*")


@dataclass(frozen=True)
class ChunkDraft:
    """One chunk of a document, before it is stored."""

    ordinal: int
    heading_path: tuple[str, ...]  # headings above this chunk, outermost first
    text: str  # the chunk's own text (Markdown source of its blocks)
    tokens: int = 0  # count_tokens(text)


@dataclass(frozen=True)
class _Block:
    kind: str  # paragraph, list, table or other
    text: str


@dataclass(frozen=True)
class ChunkBudget:
    """How chunks are measured and how big they may be: the embedding model's tokenizer
    (`count_many`, when given, counts a list of texts in one call: same counts, faster) and
    the most tokens a chunk may hold."""

    count_tokens: TokenCounter
    max_tokens: int
    count_many: BatchTokenCounter | None = None

    def measure(self, text: str) -> int:
        return self.count_tokens(text) if text else 0

    def measure_many(self, texts: list[str]) -> list[int]:
        """Counts of several texts at once (one tokenizer call when a batch counter is given)."""
        if self.count_many is None:
            return [self.measure(text) for text in texts]
        counts = self.count_many(texts)
        return [count if text else 0 for text, count in zip(texts, counts, strict=True)]


def chunk_markdown(
    text: str,
    count_tokens: TokenCounter,
    max_tokens: int,
    count_many: BatchTokenCounter | None = None,
) -> list[ChunkDraft]:
    """Chunks of `text`, in order, each with the headings above it and at most `max_tokens`.
    `count_many`, when given, counts a list of texts in one call (same counts, faster)."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    budget = ChunkBudget(count_tokens, max_tokens, count_many)
    drafts: list[ChunkDraft] = []
    for path, blocks in _sections(text.replace("\r\n", "\n").replace("\r", "\n")):
        for chunk_text, size in _pack_blocks(blocks, budget):
            drafts.append(ChunkDraft(len(drafts), path, chunk_text, size))
    return drafts


def _sections(text: str) -> list[tuple[tuple[str, ...], list[_Block]]]:
    """(heading path, blocks) per section, sections without blocks left out."""
    lines = text.split("\n")
    tokens = _PARSER.parse(text)
    sections: list[tuple[tuple[str, ...], list[_Block]]] = [((), [])]
    stack: list[tuple[int, str]] = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1 or token.map is None or token.type == "hr":
            continue
        if token.type == "heading_open":
            level, title = int(token.tag[1:]), tokens[index + 1].content.strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            if title:
                stack.append((level, title))
            sections.append((tuple(name for _, name in stack), []))
            continue
        start, end = token.map
        source = "\n".join(lines[start:end]).strip("\n").rstrip()
        if source.strip():
            sections[-1][1].append(_Block(_KINDS.get(token.type, "other"), source))
    return [(path, blocks) for path, blocks in sections if blocks]


def _pack_blocks(blocks: list[_Block], budget: ChunkBudget) -> list[Piece]:
    pieces: list[Piece] = []
    sizes = budget.measure_many([block.text for block in blocks])
    for block, size in zip(blocks, sizes, strict=True):
        if size <= budget.max_tokens:
            pieces.append((block.text, size))
        elif block.kind == "table":
            pieces.extend(_split_table(block.text, budget))
        elif block.kind == "paragraph":
            pieces.extend(_split_text(block.text, _PARAGRAPH_LEVELS, budget))
        else:
            pieces.extend(_split_text(block.text, _LINE_LEVELS, budget))
    return _pack(pieces, "\n\n".join, budget)


def _pack(
    pieces: list[Piece], render: Render, budget: ChunkBudget, reserve: int = 0, exact: bool = True
) -> list[Piece]:
    """Greedy runs whose summed counts fit `limit - reserve`, each rendered run verified.

    `exact` says a lone piece renders to the very text it was counted as (no re-count needed).
    """
    packed: list[Piece] = []
    start, total = 0, 0
    for index, (_, size) in enumerate(pieces):
        if index > start and total + size > budget.max_tokens - reserve:
            packed += _verified(pieces[start:index], render, budget, exact)
            start, total = index, 0
        total += size
    if start < len(pieces):
        packed += _verified(pieces[start:], render, budget, exact)
    return [piece for piece in packed if piece[0]]


def _verified(run: list[Piece], render: Render, budget: ChunkBudget, exact: bool) -> list[Piece]:
    """`run` rendered as one chunk if it fits, else halved until the parts do."""
    text = render([piece_text for piece_text, _ in run])
    if exact and len(run) == 1:
        return [(text, run[0][1])]
    size = budget.measure(text)
    if size <= budget.max_tokens:
        return [(text, size)]
    if len(run) == 1:
        return _split_text(text, _LINE_LEVELS, budget)
    middle = len(run) // 2
    return _verified(run[:middle], render, budget, exact) + _verified(
        run[middle:], render, budget, exact
    )


def _split_table(table: str, budget: ChunkBudget) -> list[Piece]:
    """Row groups, each repeating the header row and separator line."""
    lines = [line for line in table.split("\n") if line.strip()]
    header, rows = "\n".join(lines[:2]), lines[2:]
    header_size = budget.measure(header)
    if not rows or header_size >= budget.max_tokens:
        return _split_text(table, _LINE_LEVELS, budget)
    pieces = [(row, budget.measure(row)) for row in rows]

    def render(group: Sequence[str]) -> str:
        return "\n".join([header, *group])

    return _pack(pieces, render, budget, reserve=header_size, exact=False)


def _split_text(text: str, levels: Sequence[Splitter], budget: ChunkBudget) -> list[Piece]:
    """Chunks of `text` cut at the first level's boundaries where possible, finer where needed."""
    return _pack(_atoms(text, levels, budget), _join_stripped, budget)


def _atoms(text: str, levels: Sequence[Splitter], budget: ChunkBudget) -> list[Piece]:
    """Consecutive slices of `text` (they join back to it), each fitting the budget on its own."""
    split, finer = levels[0], levels[1:]
    if split in _SEARCHED_LEVELS:
        return _search_atoms(split(text), finer, budget)
    atoms: list[Piece] = []
    units = split(text)
    sizes = budget.measure_many([unit.strip() for unit in units])
    for unit, size in zip(units, sizes, strict=True):
        if size <= budget.max_tokens:
            atoms.append((unit, size))
        else:
            atoms += _atoms(unit, finer, budget)
    return atoms


def _search_atoms(units: list[str], finer: Sequence[Splitter], budget: ChunkBudget) -> list[Piece]:
    """Longest runs of small units (words, characters) that fit, found by galloping search."""
    atoms: list[Piece] = []
    start = 0
    while start < len(units):
        end, size = _longest_fit(units, start, budget)
        if end > start:
            atoms.append(("".join(units[start:end]), size))
            start = end
            continue
        if not finer:
            raise ValueError(
                f"max_tokens={budget.max_tokens} is too small: {units[start]!r} alone is "
                f"{budget.measure(units[start].strip())} tokens"
            )
        atoms += _atoms(units[start], finer, budget)
        start += 1
    return atoms


def _longest_fit(units: list[str], start: int, budget: ChunkBudget) -> tuple[int, int]:
    """(end, count) of the longest run units[start:end] that fits; (start, 0) when none does."""
    fit_end, fit_size = start, 0
    too_long = len(units) + 1
    step = 1
    while fit_end + 1 < too_long:
        galloping = too_long > len(units)
        end = min(fit_end + step, len(units)) if galloping else (fit_end + too_long) // 2
        size = budget.measure(_join_stripped(units[start:end]))
        if size <= budget.max_tokens:
            fit_end, fit_size, step = end, size, step * 2
        else:
            too_long = end
    return fit_end, fit_size


def _join_stripped(units: Sequence[str]) -> str:
    return "".join(units).strip()


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _sentences(text: str) -> list[str]:
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    return pieces + [text[start:]] if start < len(text) else pieces


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _chars(text: str) -> list[str]:
    return list(text)


_PARAGRAPH_LEVELS = (_sentences, _words, _chars)
_LINE_LEVELS = (_lines, _sentences, _words, _chars)
_SEARCHED_LEVELS = (_words, _chars)
