"""Language detection good enough for routing: Chinese vs English."""

from __future__ import annotations

import re

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NON_LETTER = re.compile(r"[\W\d_]+")


def detect_language(text: str) -> str:
    """`zh` when CJK characters are at least 30% of the letters, else `en`."""
    letters = len(_NON_LETTER.sub("", text))
    if letters == 0:
        return "en"
    cjk = len(text) - len(_CJK_RUN.sub("", text))
    return "zh" if cjk / letters >= 0.3 else "en"
