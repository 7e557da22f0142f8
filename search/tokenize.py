"""Tokens for the keyword index, the same for documents and queries, in Chinese and English.

- Text is NFKC-normalised (fullwidth to halfwidth) and lowercased.
- English words lose stop words and are Snowball-stemmed.
- Codes (a run of letters and digits joined by `-`, `_` or `.` that holds a digit or a
  separator) stay whole and unstemmed. `-` and `_` are dropped, so `X-200`, `x_200` and `x200`
  all give `x200` while `X-2000` gives `x2000`; dots stay (`v2.3`, `10.0.0.1`). Parts of a
  hyphenated code of two or more characters that hold a letter are emitted too (`S5720-28X`
  gives `s572028x`, `s5720`, `28x`); `X-200` gives only `x200`. A code that starts with a
  number of four or more digits that is not a year gives that number too, so standards cited
  with their year are found by their number (`GB/T 22239-2019` gives `222392019` and `22239`;
  `2026-10-01` gives no `2026`).
- A word followed by a number (`ISO 27001`, `Windows 11`) also gives the two joined
  (`iso27001`), so `ISO 27001` and `ISO27001` match.
- Chinese runs are segmented by jieba in search mode (words and their sub-words), less stop
  words; adjacent single characters (not stop words) also give their bigram, a fallback for
  words jieba does not know.
"""

from __future__ import annotations

import re
import unicodedata

import rjieba
import Stemmer

from kb.vocabulary import HAN_RANGES

_CJK_CHARS = HAN_RANGES
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
# A CJK run, or letters and digits (any script but CJK) joined by `-`, `_` or `.`.
_WORD = f"[^\\W_{_CJK_CHARS}]+"
_TOKEN = re.compile(f"([{_CJK_CHARS}]+)|({_WORD}(?:[-_.]{_WORD})*)")
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_JOINERS = re.compile(r"[-_]")

_ENGLISH_STOP_LIST = """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can couldn d did didn do does doesn doing don down during
    each few for from further had hadn has hasn have haven having he her here hers herself him
    himself his how i if in into is isn it its itself just ll m me more most mustn my myself
    no nor not now o of off on once only or other our ours ourselves out over own re s same
    shan she should shouldn so some such t than that the their theirs them themselves then
    there these they this those through to too under until up very was wasn we were weren
    what when where which while who whom why will with won wouldn y you your yours yourself
    yourselves
"""
_CHINESE_STOP_LIST = """
    的 了 和 是 在 与 及 等 或 也 就 都 而 及其 以及 对 把 被 从 到 为 之 其 这 那 这个 那个
    这些 那些 一个 我们 你们 他们 它们 它 我 你 他 她 吗 呢 吧 啊 着 过 于 以 并 且 但 则 即
    又 还 很 所 所以 因为 如果 可以 已经 各 每 该
"""
ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_LIST.split())
CHINESE_STOP_WORDS = frozenset(_CHINESE_STOP_LIST.split())
# Presales terms jieba's dictionary lacks; without them `等保` splits into `等` + `保`.
_DOMAIN_WORDS = ("等保", "信创", "私有化", "私有云", "公有云", "混合云", "国产化", "双活", "灾备")

_STEMMER = Stemmer.Stemmer("english")
_JIEBA = rjieba.Jieba()
for _word in _DOMAIN_WORDS:
    _JIEBA.add_word(_word, None, None)


def tokenize(text: str) -> list[str]:
    """Index or query tokens for `text` (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens: list[str] = []
    words: list[str] = []
    cjk_runs: list[str] = []
    prev_word = ""
    prev_end = -1
    for match in _TOKEN.finditer(text):
        run, piece = match.group(1, 2)
        if run is not None:
            cjk_runs.append(run)
            prev_word = ""
            continue
        if _DIGIT.search(piece) is None and "." not in piece:
            _add_words(piece, words)
            plain = piece.isalpha() and piece not in ENGLISH_STOP_WORDS
            prev_word = piece if plain else ""
        else:
            _add_code(piece, tokens, words)
            if prev_word and _NUMBER.fullmatch(piece) and text[prev_end : match.start()].isspace():
                tokens.append(prev_word + piece)
            prev_word = ""
        prev_end = match.end()
    if words:
        tokens.extend(_STEMMER.stemWords(words))
    if cjk_runs:
        tokens.extend(_chinese_tokens("\n".join(cjk_runs)))
    return tokens


def _add_words(piece: str, words: list[str]) -> None:
    """A plain word, or a hyphenated one (`e-mail`: its parts and `email`), to be stemmed."""
    if "-" not in piece and "_" not in piece:
        if piece not in ENGLISH_STOP_WORDS:
            words.append(piece)
        return
    parts = _JOINERS.split(piece)
    words.extend(p for p in parts if len(p) > 1 and p not in ENGLISH_STOP_WORDS)
    words.append("".join(parts))


def _add_code(piece: str, tokens: list[str], words: list[str]) -> None:
    """A code: whole without `-`/`_`, plus its hyphen parts that hold a letter."""
    if "-" not in piece and "_" not in piece:
        tokens.append(piece)
        return
    parts = _JOINERS.split(piece)
    tokens.append("".join(parts))
    if _is_standard_number(parts[0]):
        tokens.append(parts[0])
    for part in parts:
        if len(part) < 2 or part.isdigit():
            continue
        if part.isalpha():
            if part not in ENGLISH_STOP_WORDS:
                words.append(part)
        else:
            tokens.append(part)


def _is_standard_number(part: str) -> bool:
    return part.isdigit() and len(part) >= 4 and not (len(part) == 4 and 1900 <= int(part) < 2100)


def _chinese_tokens(text: str) -> list[str]:
    """Jieba search-mode words less stop words, plus bigrams of adjacent single characters."""
    out: list[str] = []
    single = ""
    for word in _JIEBA.cut_for_search(text):
        if word in CHINESE_STOP_WORDS or not _CJK_RUN.match(word):
            single = ""
            continue
        out.append(word)
        if len(word) == 1:
            if single:
                out.append(single + word)
            single = word
        else:
            single = ""
    return out


def chinese_words(text: str) -> list[str]:
    """The words of the Chinese runs in `text`, jieba's precise cut (no sub-words), less stop
    words: the units query translation looks up."""
    runs = _CJK_RUN.findall(unicodedata.normalize("NFKC", text))
    return [
        word
        for run in runs
        for word in _JIEBA.cut(run, False)
        if word not in CHINESE_STOP_WORDS and _CJK_RUN.match(word)
    ]


def chinese_sub_words(word: str) -> list[str]:
    """The shorter words of a Chinese word of two characters or more, as jieba's search mode
    finds them (`静态数据` -> `静态`, `数据`), less stop words; none for a word it cannot split."""
    return [
        part
        for part in dict.fromkeys(_JIEBA.cut_for_search(word))
        if part != word and len(part) > 1 and part not in CHINESE_STOP_WORDS
    ]
