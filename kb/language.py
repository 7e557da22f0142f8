"""Language detection good enough for routing: Chinese vs English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# A Chinese character carries about as much as an English word (a little less): text is
# Chinese when it has at least this many CJK characters per Latin word. Counting letters
# instead would call "X-200 HA 双机支持 Oracle、MySQL、PostgreSQL 实时同步" English.
CJK_PER_WORD = 1.2


def detect_language(text: str) -> str:
    """`zh` when the text has CJK characters and at least CJK_PER_WORD of them per Latin
    word, else `en`."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "zh" if cjk and cjk >= CJK_PER_WORD * words else "en"
