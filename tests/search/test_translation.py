"""Query translation: glossary first, then CC-CEDICT, scored as structured queries."""

from __future__ import annotations

import pytest

from kb.glossary import Glossary, parse_glossary
from search.dictionary import Dictionary, cedict, clean_gloss
from search.keyword import COMMON_MIN_ROWS, KeywordIndex, SynonymGroup
from search.tokenize import tokenize
from search.translation import QueryTranslator

GLOSSARY = Glossary(
    parse_glossary(
        """| name | type | zh | en | variants |
|---|---|---|---|---|
| 容量规划 | term | 容量规划; 容量估算 | sizing; capacity planning | sizing guide |
| 价格表 | term | 价格表 | price list; list price | |
| 等保 | regulation | 等保; 等级保护 | MLPS; Classified Protection | GB/T 22239-2019 |
""",
        "glossary.md",
    )
)
CEDICT_LINES = [
    "價格 价格 [jia4 ge2] /price/CL:個|个[ge4]/",
    "物價 物价 [wu4 jia4] /(commodity) prices/",
    "加密 加密 [jia1 mi4] /to encrypt/encryption/to protect with a password/",
    "許可 许可 [xu3 ke3] /to allow/to permit/",
    "許 许 [xu3] /to allow/surname Xu/",
]


def test_cedict_glosses_become_translations_both_ways() -> None:
    dictionary = Dictionary(CEDICT_LINES)
    assert dictionary.to_english("加密") == ["encrypt", "encryption"]  # 4 words: too long
    assert dictionary.to_chinese("Price") == ["价格"]
    assert dictionary.to_chinese("allow") == ["许可"]  # single characters are too ambiguous
    assert clean_gloss("CL:個|个[ge4]") is None and clean_gloss("surname Xu") is None


def test_the_packaged_cedict_is_read_once() -> None:
    dictionary = cedict()
    assert cedict() is dictionary
    assert "encrypt" in dictionary.to_english("加密") and "价格" in dictionary.to_chinese("price")


def test_glossary_terms_come_first_and_the_dictionary_takes_the_rest() -> None:
    translator = QueryTranslator(GLOSSARY, Dictionary(CEDICT_LINES))
    found = translator.translate("GuardEye 容量规划 加密")
    by_term = {e.term: e for e in found.expansions}
    assert by_term["容量规划"].source == "glossary"
    assert {"sizing", "capacity planning"} <= set(by_term["容量规划"].translations)
    assert by_term["加密"].source == "dictionary" and "encrypt" in by_term["加密"].translations
    plural = translator.translate("list prices under MLPS").expansions
    assert [(e.term, e.entry) for e in plural] == [("list prices", "价格表"), ("mlps", "等保")]
    assert translator.translate("quantum").expansions == ()


@pytest.fixture
def index() -> KeywordIndex:
    index = KeywordIndex()
    documents = {
        1: "GuardEye 容量规划：按峰值 EPS 估算存储",  # the exact term
        2: "GuardEye sizing guide: size for peak EPS",  # its translation
        3: "sizing, capacity planning and a sizing guide for GuardEye",  # translations, 3 times
        4: "GuardEye overview",  # neither
    }
    index.add((doc_id, tokenize(text)) for doc_id, text in documents.items())
    return index


def test_translations_find_the_other_language_and_never_outrank_the_exact_term(
    index: KeywordIndex,
) -> None:
    query = "GuardEye 容量规划"
    groups = QueryTranslator(GLOSSARY, Dictionary([])).translate(query).groups
    plain = dict(index.search(tokenize(query), 10))
    translated = dict(index.search(tokenize(query), 10, groups=groups))
    assert plain[2] <= plain[4]  # without translation the English guide is no better
    assert translated[1] > translated[3] >= translated[2] > translated[4]
    assert translated[3] < 1.5 * translated[2]  # three translations count as one term


def test_at_scale_common_terms_and_translations_are_left_out_of_synonym_groups() -> None:
    def rows(n_rows: int) -> list[tuple[int, list[str]]]:
        # `everywhere` and `到处` in 60% of the rows, `rare` in rows 0-9, `稀有` in rows 10-19
        return [
            (
                row,
                ["filler"]
                + (["everywhere", "到处"] if row % 5 < 3 else [])
                + (["rare"] if row < 10 else ["稀有"] if row < 20 else []),
            )
            for row in range(n_rows)
        ]

    large, small = KeywordIndex(), KeywordIndex()
    large.add(rows(COMMON_MIN_ROWS))
    small.add(rows(50))
    rare = SynonymGroup((("稀有",), ("到处",)), 0.8, ("rare",))
    common = SynonymGroup((("稀有",),), 0.8, ("everywhere",))
    found = dict(large.search(["rare"], 100, groups=[rare]))
    assert set(found) == set(range(20))  # `到处`, in 60% of the rows, is left out
    assert (
        dict(large.search(["everywhere"], 10_000, groups=[common]))
        .keys()
        .isdisjoint(
            {13, 14, 18, 19}  # rows with `稀有` only: `everywhere` is not translated at all
        )
    )
    assert set(dict(small.search(["rare"], 100, groups=[rare]))) > set(range(20))  # all kept


def test_a_compound_the_dictionary_lacks_is_translated_by_its_shorter_words() -> None:
    lines = [*CEDICT_LINES, "靜態 静态 [jing4 tai4] /static/", "數據 数据 [shu4 ju4] /data/"]
    found = QueryTranslator(Glossary(), Dictionary(lines)).translate("静态数据加密")
    assert [(e.term, e.translations) for e in found.expansions] == [
        ("静态", ("static",)),
        ("数据", ("data",)),
        ("加密", ("encrypt", "encryption")),
    ]
