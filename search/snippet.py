"""Snippets: the part of a chunk where the query's terms are densest, with those terms marked."""

from __future__ import annotations

import re

import Stemmer

from kb.vocabulary import HAN_RANGES
from search.tokenize import tokenize

MARK_OPEN, MARK_CLOSE = "**", "**"
WINDOW = 240
_CJK = HAN_RANGES
_LATIN_WORD = re.compile(rf"[^\W_{_CJK}]+(?:[-_.][^\W_{_CJK}]+)*")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_STEMMER = Stemmer.Stemmer("english")
_MARKUP = re.compile(r"\*\*|__|`")


def query_terms(query: str) -> frozenset[str]:
    return frozenset(tokenize(query))


def matched_spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of `text` that match a query term (merged, in order)."""
    if not terms:
        return []
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    words = list(_LATIN_WORD.finditer(lowered))
    for match in words:
        if _word_matches(match.group(), terms):
            spans.append(match.span())
    for first, second in zip(words, words[1:], strict=False):
        # `ISO 27001` is indexed as `iso27001` too (see search.tokenize)
        between = lowered[first.end() : second.start()]
        if between.isspace() and first.group() + second.group() in terms:
            spans.append((first.start(), second.end()))
    cjk_terms = sorted((t for t in terms if _CJK_RUN.fullmatch(t)), key=len, reverse=True)
    for run in _CJK_RUN.finditer(lowered):
        for term in cjk_terms:
            start = run.group().find(term)
            while start >= 0:
                spans.append((run.start() + start, run.start() + start + len(term)))
                start = run.group().find(term, start + len(term))
    return _merge(spans)


def _word_matches(word: str, terms: frozenset[str]) -> bool:
    joined = word.replace("-", "").replace("_", "")
    if word in terms or joined in terms:
        return True
    return _STEMMER.stemWord(word) in terms


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(text: str, terms: frozenset[str], width: int = WINDOW) -> str:
    """About `width` characters around the densest matches of the query's `terms`
    (see `query_terms`), matched terms in **bold**. The chunk's own Markdown emphasis and
    code marks are dropped first, so bold in a snippet always means a match."""
    flat = " ".join(_MARKUP.sub("", text).split())
    spans = matched_spans(flat, terms)
    start = _best_window(spans, width, len(flat))
    end = min(len(flat), start + width)
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces.extend((flat[cursor:span_start], MARK_OPEN, flat[span_start:span_end], MARK_CLOSE))
        cursor = span_end
    pieces.append(flat[cursor:end])
    pieces.append("…" if end < len(flat) else "")
    return "".join(pieces)


def _best_window(spans: list[tuple[int, int]], width: int, length: int) -> int:
    if not spans or length <= width:
        return 0
    best_start, best_count = 0, -1
    for index, (start, _) in enumerate(spans):
        count = sum(1 for s, _ in spans[index:] if s < start + width)
        if count > best_count:
            best_start, best_count = start, count
    # Start a little before the first match, on a word boundary where possible.
    begin = max(0, min(best_start - width // 5, length - width))
    return begin
