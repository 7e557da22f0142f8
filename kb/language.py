"""Language detection good enough for routing: Chinese vs English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """`zh` when CJK characters are at least 30% of the letters, else `en`."""
    sample = text[:4000]
    cjk = len(_CJK.findall(sample))
    latin_words = len(re.findall(r"[A-Za-z]+", sample))
    # A CJK character carries about as much as an English word.
    total = cjk + latin_words
    if total == 0:
        return "en"
    return "zh" if cjk / total >= 0.3 else "en"


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None
