"""How a reuse suggestion is scored: pure functions of its signals (similarity to the draft,
freshness, approval, reuse, bid outcomes, fit with the request's context)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kb.glossary import Glossary
from kb.vocabulary import CONTEXT_FIELDS

# Weights of the quality signals (they sum to 1) and how far quality and context move a score.
FRESHNESS_WEIGHT = 0.45
OUTCOME_WEIGHT = 0.30
USAGE_WEIGHT = 0.15
REVIEWED_WEIGHT = 0.10
QUALITY_FLOOR = 0.7  # the worst content keeps 70% of its similarity, the best all of it
CONTEXT_BOOST = 0.2  # matching all of the request's context adds 20%
USAGE_HALF = 3  # reuses at which the usage signal reaches one half


@dataclass(frozen=True)
class Signals:
    similarity: float  # 0-1, to the request text
    freshness: float  # 0-100, kb.freshness score
    reviewed: bool = False  # an owner or manager has confirmed it (approved)
    reuse_count: int = 0
    won: int = 0  # won bids it was written for or reused in
    lost: int = 0
    context: float = 0.0  # 0-1, share of the request's context it matches


def suggestion_score(signals: Signals) -> float:
    """`similarity × (QUALITY_FLOOR + (1 - QUALITY_FLOOR) × quality) × (1 + CONTEXT_BOOST ×
    context)`, where quality (0-1) is the weighted sum of

    - freshness / 100;
    - outcome = (won + 1) / (won + lost + 2): the win rate, pulled towards one half while few
      bids are decided (0.5 with none, 0.67 after one win, 0.33 after one loss);
    - usage = reuse_count / (reuse_count + USAGE_HALF): proven content, with diminishing returns;
    - reviewed: 1 when confirmed by its owner or a manager.

    Similarity stays the main factor: quality can move a score by at most 30%, so a fresh,
    approved section from won bids beats an equally similar stale or lost one, but not a much
    better match.
    """
    outcome = (signals.won + 1) / (signals.won + signals.lost + 2)
    usage = signals.reuse_count / (signals.reuse_count + USAGE_HALF)
    quality = (
        FRESHNESS_WEIGHT * min(max(signals.freshness, 0.0), 100.0) / 100.0
        + OUTCOME_WEIGHT * outcome
        + USAGE_WEIGHT * usage
        + REVIEWED_WEIGHT * float(signals.reviewed)
    )
    weight = QUALITY_FLOOR + (1.0 - QUALITY_FLOOR) * quality
    return signals.similarity * weight * (1.0 + CONTEXT_BOOST * min(max(signals.context, 0.0), 1.0))


def requested_context(params: Mapping[str, Any]) -> dict[str, list[str]]:
    """{field name: values} of the context a request gives, by the request names of the
    vocabulary's context fields (`{"competitor": "华为云"}` gives `{"competitors": ["华为云"]}`);
    fields given no value are left out."""
    wanted: dict[str, list[str]] = {}
    for field in CONTEXT_FIELDS:
        assert field.context is not None
        given = params.get(field.context.name)
        items = given if isinstance(given, list) else [given]
        found = [str(item).strip() for item in items if item is not None and str(item).strip()]
        if found:
            wanted[field.name] = found
    return wanted


def context_match(
    wanted: Mapping[str, Sequence[str]], meta: Mapping[str, Any], glossary: Glossary
) -> float:
    """Share of the request's context fields (`requested_context`) that a candidate's
    metadata matches, names compared by the glossary's canonical name (a request for `energy`
    matches a document written `能源`); 0 when the request gives none. (The section type is a
    filter.)"""
    checks = [glossary.holds(meta, name, values) for name, values in wanted.items() if values]
    return sum(checks) / len(checks) if checks else 0.0
