"""From a parsed record to a validated draft with its chunks: pure, no database."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.chunking import ChunkBudget, chunk_markdown
from ingest.limits import check_lines
from ingest.parsed import ParsedDocument
from kb.documents import DocumentDraft, build_draft, sha256
from kb.models import embedding_text
from kb.store import HEADING_SEPARATOR, ChunkInput

MIN_CHUNK_TOKENS = 48


@dataclass
class PreparedDocument:
    draft: DocumentDraft
    chunks: list[ChunkInput]
    origin: str


def prepare(
    parsed: ParsedDocument, budget: ChunkBudget, *, default_id: str, default_title: str
) -> PreparedDocument:
    """Validate fields and cut the text into chunks that fit the model's input."""
    draft = draft_of(parsed, default_id=default_id, default_title=default_title)
    return PreparedDocument(draft=draft, chunks=make_chunks(draft, budget), origin=parsed.origin)


def draft_of(parsed: ParsedDocument, *, default_id: str, default_title: str) -> DocumentDraft:
    """Validate a parsed record's fields for its kind (cheap: no chunking)."""
    check_lines(parsed.text, parsed.origin)
    fields = dict(parsed.fields)
    if parsed.title and not fields.get("title"):
        fields["title"] = parsed.title
    return build_draft(
        fields,
        parsed.text,
        origin=parsed.origin,
        default_id=default_id,
        default_title=default_title,
    )


def make_chunks(draft: DocumentDraft, budget: ChunkBudget) -> list[ChunkInput]:
    """Chunks whose embedded text (title, headings, text) fits the model's input limit."""
    title = _shorten(draft.title, budget.max_tokens // 4, budget)
    text_max_tokens = max(MIN_CHUNK_TOKENS, budget.max_tokens - budget.count_tokens(title) - 1)
    chunks: list[ChunkInput] = []
    pieces = chunk_markdown(draft.text, budget.count_tokens, text_max_tokens, budget.count_many)
    for piece in pieces:
        # The title leads the first chunk; later ones carry their headings (in Markdown the
        # first is usually the title again). Repeating it everywhere costs embedding time.
        lead = "" if chunks else title
        context = _context(lead, piece.heading_path, piece.tokens, budget)
        embedded = embedding_text(context, piece.text)
        chunks.append(
            ChunkInput(
                ordinal=len(chunks),
                heading_path=piece.heading_path,
                text=piece.text,
                context=context,
                content_hash=sha256(embedded),
            )
        )
    return chunks


def _shorten(text: str, limit: int, budget: ChunkBudget) -> str:
    while text and budget.count_tokens(text) > limit:
        text = text[: int(len(text) * 0.8)]
    return text


def _context(title: str, headings: tuple[str, ...], text_tokens: int, budget: ChunkBudget) -> str:
    """Title and as many inner headings as still fit beside the text (the title once, when the
    outermost heading repeats it)."""
    room = budget.max_tokens - text_tokens
    if headings and headings[0] == title:
        title = ""
    while headings:
        context = "\n".join([title, HEADING_SEPARATOR.join(headings)]).strip()
        if budget.count_tokens(context) <= room:
            return context
        headings = headings[1:]
    return title if budget.count_tokens(title) <= room else ""
