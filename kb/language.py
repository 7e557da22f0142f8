"""Language detection good enough for routing: Chinese vs English."""

from __future__ import annotations

import re

from kb.vocabulary import HAN_RANGES, Language

_HAN = re.compile(f"[{HAN_RANGES}]")
# English prose is carried by lowercase words (the, supports, with, ...); product names and
# acronyms (Kafka, Oracle GoldenGate, SQL) are capitalised and appear in Chinese text too.
_LOWERCASE_WORD = re.compile(r"(?<![A-Za-z])[a-z][a-z]*")
CJK_PER_LOWERCASE_WORD = 2.5


def detect_language(text: str) -> str:
    """`zh` when the text has CJK characters and at least CJK_PER_LOWERCASE_WORD of them per
    lowercase Latin word, else `en`. So "支持 Kafka、Flink、Spark Streaming 和 Oracle
    GoldenGate 对接" is Chinese, and "Meeting notes: 江北银行 wants the X-200 quote" English."""
    cjk = len(_HAN.findall(text))
    words = len(_LOWERCASE_WORD.findall(text))
    return Language.zh.value if cjk and cjk >= CJK_PER_LOWERCASE_WORD * words else Language.en.value
