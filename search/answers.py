"""Canonical answers: Q&A that say the same thing are one suggestion, not several.

Two Q&A say the same thing when they are in the same language and their questions are close
(cosine of keyword-token counts at least SAME_QUESTION) and their answers share words (at least
SAME_ANSWER): a Markdown answer and its row in an RFP answer sheet, say. Each group shows one
canonical answer (the approved one, then the most recently verified) with the others listed as
"also in"; the group ranks by its best member's score.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

from search.tokenize import tokenize

if TYPE_CHECKING:
    from search.suggest import Suggestion

SAME_QUESTION = 0.5
SAME_ANSWER = 0.3


def group_answers(suggestions: list[Suggestion]) -> list[Suggestion]:
    """`suggestions` with each group of Q&A saying the same thing folded into its canonical
    answer (which takes the group's best score and match)."""
    groups: list[list[Suggestion]] = []
    others: list[Suggestion] = []
    for suggestion in sorted(suggestions, key=lambda s: -s.score):
        if suggestion.document.kind != "qa":
            others.append(suggestion)
            continue
        group = next((g for g in groups if _same_answer(g[0], suggestion)), None)
        if group is None:
            groups.append([suggestion])
        else:
            group.append(suggestion)
    return others + [_canonical(group) for group in groups]


def _canonical(group: list[Suggestion]) -> Suggestion:
    chosen = max(group, key=lambda s: (s.approved, s.freshness.last_verified, s.score))
    chosen.also_in = [s for s in group if s is not chosen]
    chosen.score = max(s.score for s in group)
    chosen.match = max(s.match for s in group)
    return chosen


def _same_answer(a: Suggestion, b: Suggestion) -> bool:
    if a.document.language != b.document.language:
        return False
    if _cosine(_counts(_question(a)), _counts(_question(b))) < SAME_QUESTION:
        return False
    return _cosine(_counts(a.chunk.text), _counts(b.chunk.text)) >= SAME_ANSWER


def _question(suggestion: Suggestion) -> str:
    document = suggestion.document
    return str(document.meta.get("question") or document.title)


def _counts(text: str) -> Counter[str]:
    return Counter(tokenize(text))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[token] for token, count in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0
