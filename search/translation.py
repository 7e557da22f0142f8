"""Query translation for keyword search: query terms are also looked up in the other language.

The glossary is asked first: any form of an entry found in the query (longest first, either
language) brings the entry's other forms. What the glossary leaves is looked up word by word in
CC-CEDICT (search/dictionary.py): Chinese words (jieba's precise cut; a compound the dictionary
lacks, by the shorter words it is made of) bring their first English glosses, English words
(and two-word phrases) the Chinese headwords that translate them best.

Translations become structured queries (Pirkola 1998; Darwish & Oard 2003): all translations of
one term form one synonym group that counts as that single term, with a weight below 1 and an
idf capped at the term's own, so translations share the term's weight and never outrank an exact
match (scoring: search/keyword.py). The original query tokens are searched unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kb.glossary import Glossary, GlossaryEntry, form_key
from kb.vocabulary import HAN_RANGES
from search.dictionary import Dictionary
from search.keyword import SynonymGroup
from search.tokenize import ENGLISH_STOP_WORDS, chinese_sub_words, chinese_words, tokenize

GLOSSARY_WEIGHT = 0.8  # a glossary translation is the team's own word for the term
DICTIONARY_WEIGHT = 0.5  # a general dictionary's is a guess among senses
DICTIONARY_TRANSLATIONS = 3  # first glosses (or best headwords) taken per word
CACHE_SIZE = 4096
_ENGLISH_WORD = re.compile(r"[a-z][a-z'-]*[a-z]")
_HAS_CJK = re.compile(f"[{HAN_RANGES}]")


@dataclass(frozen=True)
class Expansion:
    """One query term and what it was translated to."""

    term: str
    source: str  # "glossary" or "dictionary"
    translations: tuple[str, ...]
    entry: str | None = None  # the glossary entry's canonical name

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "source": self.source,
            "translations": list(self.translations),
            "entry": self.entry,
        }


@dataclass(frozen=True)
class TranslatedQuery:
    expansions: tuple[Expansion, ...] = ()
    groups: tuple[SynonymGroup, ...] = ()


class QueryTranslator:
    """Translates queries with one glossary and the dictionary; remembers recent queries."""

    def __init__(self, glossary: Glossary, dictionary: Dictionary) -> None:
        self.glossary = glossary
        self.dictionary = dictionary
        self._pattern = _forms_pattern(glossary)
        self._cache: dict[str, TranslatedQuery] = {}

    def translate(self, query: str) -> TranslatedQuery:
        found = self._cache.get(query)
        if found is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            found = self._cache[query] = self._translate(query)
        return found

    def _translate(self, query: str) -> TranslatedQuery:
        text = unicodedata.normalize("NFKC", query).lower()
        expansions, rest = self._glossary_expansions(text)
        expansions += self._dictionary_expansions(rest)
        exact = set(tokenize(query))
        groups = [group for e in expansions if (group := _group(e, exact)) is not None]
        return TranslatedQuery(tuple(e for e in expansions if e.translations), tuple(groups))

    def _glossary_expansions(self, text: str) -> tuple[list[Expansion], str]:
        """Expansions of the glossary forms in `text`, and `text` without them."""
        if self._pattern is None:
            return [], text
        expansions: list[Expansion] = []
        for match in self._pattern.finditer(text):
            term = match.group(0)
            for entry in self._entries_matched(term)[:1]:
                forms = tuple(f for f in entry.forms if form_key(f) != form_key(term))
                expansions.append(Expansion(term, "glossary", forms, entry.name))
        return expansions, self._pattern.sub(" ", text)

    def _entries_matched(self, term: str) -> list[GlossaryEntry]:
        """The entries a match names: as written, else without its plural ending."""
        for candidate in (term, term.removesuffix("s"), term.removesuffix("es")):
            found = self.glossary.entries_of(candidate)
            if found:
                return found
        return []

    def _dictionary_expansions(self, text: str) -> list[Expansion]:
        expansions = [
            Expansion(word, "dictionary", tuple(english[:DICTIONARY_TRANSLATIONS]))
            for word in _dictionary_words(self.dictionary, text)
            if (english := self.dictionary.to_english(word))
        ]
        words = [w for w in _ENGLISH_WORD.findall(text) if w not in ENGLISH_STOP_WORDS]
        index = 0
        while index < len(words):
            pair = " ".join(words[index : index + 2])
            chinese = self.dictionary.to_chinese(pair) if index + 1 < len(words) else []
            term = pair if chinese else words[index]
            chinese = chinese or _chinese_for_word(self.dictionary, words[index])
            if chinese:
                translations = tuple(chinese[:DICTIONARY_TRANSLATIONS])
                expansions.append(Expansion(term, "dictionary", translations))
            index += 2 if term == pair else 1
        return expansions


def _dictionary_words(dictionary: Dictionary, text: str) -> list[str]:
    """The Chinese words of `text` to look up: jieba's precise cut, and for a compound the
    dictionary does not hold (`静态数据`, `审计报告`) the shorter words it is made of (`静态`,
    `数据`), which the keyword search also searches on their own."""
    words: list[str] = []
    for word in chinese_words(text):
        if len(word) < 2:
            continue
        words.extend([word] if dictionary.to_english(word) else chinese_sub_words(word))
    return list(dict.fromkeys(words))


def _chinese_for_word(dictionary: Dictionary, word: str) -> list[str]:
    """Headwords for an English word's plain forms (`prices` -> `price`), then for the word."""
    if len(word) < 3:
        return []
    found = [w for form in (*_plain_forms(word), word) for w in dictionary.to_chinese(form)]
    return list(dict.fromkeys(found))


def _plain_forms(word: str) -> list[str]:
    forms = []
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ing", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + replacement)
    if word.endswith(("ed", "ing")):
        forms.append(word[: -2 if word.endswith("ed") else -3] + "e")
    return forms


def _group(expansion: Expansion, exact: set[str]) -> SynonymGroup | None:
    """The synonym group of an expansion: translations already matched exactly are left out."""
    alternatives = []
    for translation in expansion.translations:
        tokens = tuple(dict.fromkeys(tokenize(translation)))
        if tokens and not set(tokens) <= exact:
            alternatives.append(tokens)
    if not alternatives:
        return None
    # The term's weight is what its own tokens carry together (`容量规划` searches 容量, 规划
    # and 容量规划), discounted: its translations share it and stay below an exact match.
    source = tuple(dict.fromkeys(tokenize(expansion.term)))
    base = GLOSSARY_WEIGHT if expansion.source == "glossary" else DICTIONARY_WEIGHT
    return SynonymGroup(tuple(dict.fromkeys(alternatives)), base * max(len(source), 1), source)


def _forms_pattern(glossary: Glossary) -> re.Pattern[str] | None:
    """One regex for every glossary form, longest first; Latin forms match whole words."""
    forms = {
        unicodedata.normalize("NFKC", form).lower()
        for entry in glossary.entries
        for form in entry.forms
        if len(form) > 1
    }
    if not forms:
        return None
    parts = []
    for form in sorted(forms, key=len, reverse=True):
        pieces = [re.escape(piece) for piece in re.split(r"[\s\-_]+", form) if piece]
        if _HAS_CJK.match(form[0]):
            parts.append(r"[\s\-_]*".join(pieces))
        else:  # whole words; English ones also in the plural (`list prices`)
            plural = "(?:e?s)?" if form[-1].isalpha() else ""
            body = r"[\s\-_]*".join(pieces)
            parts.append(rf"(?<![a-z0-9]){body}{plural}(?![a-z0-9])")
    return re.compile("|".join(parts))
