"""Reuse suggestions on the sample knowledge base (content/), judged by hand.

    .venv/bin/python bench/eval_suggestions.py

bench/suggestions_judged.json holds draft texts in Chinese and English, each with the section
type being drafted (or none, for an RFP question answered from Q&A) and the units a reviewer
would pick. Each draft is asked as the proposal tool asks it (`section` for a section draft,
`kinds: ["qa"]` for a question) and, to see how much the filter does, with the text alone.
Prints per language and overall:

- section-type precision@3: of the (at most 3) suggestions shown first, the share whose type is
  the one drafted (a Q&A counts as type `qa`);
- nDCG@5 (binary gains; answers that say the same thing count once, under any of their ids);
- how often the first relevant unit clears MIN_MATCH, and how many requests nothing in content/
  answers still get suggestions (should be none).
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from api.context import Context  # noqa: E402
from kb.clock import utcnow  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.language import detect_language  # noqa: E402
from search.suggest import MIN_MATCH, Suggestion, SuggestionQuery, suggest  # noqa: E402

JUDGED = ROOT / "bench" / "suggestions_judged.json"


def keys_of(suggestion: Suggestion) -> set[str]:
    """The ids a suggestion answers to: 'source_id#type' for a section, 'source_id' for a Q&A
    (and those of the answers grouped under it)."""
    found = {_key(suggestion)}
    found.update(_key(other) for other in suggestion.also_in)
    return found


def _key(suggestion: Suggestion) -> str:
    document = suggestion.document
    if document.kind == "qa":
        return document.source_id
    kind = suggestion.unit.section_type if suggestion.unit else None
    return f"{document.source_id}#{kind}"


def type_of(suggestion: Suggestion) -> str:
    if suggestion.document.kind == "qa":
        return "qa"
    return (suggestion.unit.section_type if suggestion.unit else None) or "other"


def ndcg_at(found: list[set[str]], relevant: list[set[str]], k: int = 5) -> float:
    """Binary nDCG@k; each relevant entry (a set of equivalent ids) counts once."""
    credited: set[int] = set()
    dcg = 0.0
    for rank, keys in enumerate(found[:k], 1):
        hit = next((i for i, r in enumerate(relevant) if i not in credited and keys & r), None)
        if hit is not None:
            credited.add(hit)
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def evaluate(
    context: Context, drafts: list[dict[str, Any]], *, filtered: bool
) -> list[dict[str, Any]]:
    rows = []
    for draft in drafts:
        wanted = draft["section"] or "qa"
        query = SuggestionQuery(text=draft["text"], top_k=5)
        if filtered and draft["section"]:
            query = SuggestionQuery(text=draft["text"], top_k=5, section=draft["section"])
        elif filtered:
            query = SuggestionQuery(text=draft["text"], top_k=5, kinds=["qa"])
        with Session(context.engine) as session:
            found = suggest(context.search, session, query, viewer=None, now=utcnow())
        shown = found.suggestions
        relevant = [set(r) if isinstance(r, list) else {r} for r in draft["relevant"]]
        top = shown[:3]
        first = next((s for s in shown if keys_of(s) & set().union(*relevant)), None)
        rows.append(
            {
                "language": detect_language(draft["text"]),
                "precision": sum(type_of(s) == wanted for s in top) / len(top) if top else 0.0,
                "ndcg": ndcg_at([keys_of(s) for s in shown], relevant),
                "relevant_found": first is not None,
                "relevant_match": first.match if first else None,
            }
        )
    return rows


def report(name: str, rows: list[dict[str, Any]]) -> None:
    for language in ("zh", "en", "all"):
        part = [r for r in rows if language == "all" or r["language"] == language]
        if not part:
            continue
        precision = sum(r["precision"] for r in part) / len(part)
        ndcg = sum(r["ndcg"] for r in part) / len(part)
        found = sum(r["relevant_found"] for r in part) / len(part)
        print(
            f"{name:14s} {language:3s} {len(part):3d}  type-P@3 {precision:.3f}  nDCG@5 "
            f"{ndcg:.3f}  relevant suggested {found:.2f}"
        )


def main() -> None:
    judged = json.loads(JUDGED.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        context = Context(Settings(home=Path(tmp)))
        report_, _ = context.ingest([ROOT / "content"])
        drafts = judged["drafts"]
        print(f"content/: {len(report_.added)} documents; {len(drafts)} judged drafts")
        filtered = evaluate(context, drafts, filtered=True)
        report("as the tool asks", filtered)
        report("text only", evaluate(context, drafts, filtered=False))
        matches = sorted(r["relevant_match"] for r in filtered if r["relevant_match"])
        if matches:
            print(
                f"match of the first relevant unit: min {matches[0]:.3f}, median "
                f"{matches[len(matches) // 2]:.3f} (MIN_MATCH {MIN_MATCH})"
            )
        noise = 0
        for text in judged["no_match"]:
            with Session(context.engine) as session:
                found = suggest(
                    context.search, session, SuggestionQuery(text=text), viewer=None, now=utcnow()
                )
            noise += bool(found.suggestions)
        total = len(judged["no_match"])
        print(f"unanswerable requests that still got suggestions: {noise} of {total}")


if __name__ == "__main__":
    main()
