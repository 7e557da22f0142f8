"""Tokens for Chinese, English and the codes presales text is full of."""

from __future__ import annotations

import pytest

from kb.language import detect_language
from search.tokenize import tokenize


def matches(query: str, text: str) -> bool:
    return bool(set(tokenize(query)) & set(tokenize(text)))


def test_english_words_are_lowercased_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("The Servers are Running") == ["server", "run"]


def test_fullwidth_text_is_normalised_to_halfwidth() -> None:
    assert tokenize("ＡＢＣ　Ｘ－２００") == tokenize("abc x-200")


@pytest.mark.parametrize("text", ["X-200", "x200", "X_200", "支持X-200的"])
def test_product_code_matches_its_spellings(text: str) -> None:
    assert matches("X-200", text)


@pytest.mark.parametrize("text", ["X-2000", "X-20", "Y-200", "x 2000"])
def test_product_code_does_not_match_a_neighbour(text: str) -> None:
    assert not matches("X-200", text)


@pytest.mark.parametrize("query", ["ISO 27001", "ISO27001", "iso-27001"])
@pytest.mark.parametrize("text", ["certified to ISO 27001", "ISO27001 certified"])
def test_standard_matches_with_or_without_the_space(query: str, text: str) -> None:
    assert "iso27001" in tokenize(query)
    assert matches(query, text)


def test_hyphenated_code_keeps_its_lettered_parts() -> None:
    assert tokenize("S5720-28X") == ["s572028x", "s5720", "28x"]


def test_a_standard_cited_with_its_year_is_found_by_its_number() -> None:
    assert tokenize("GB/T 22239-2019") == ["222392019", "22239", "gb"]
    assert "22239" in tokenize("符合 GB/T 22239-2019 三级要求")
    assert tokenize("2026-10-01") == ["20261001"]
    assert tokenize("R123-78") == ["r12378", "r123"]


@pytest.mark.parametrize(
    ("text", "token"), [("v2.3", "v2.3"), ("10.0.0.1", "10.0.0.1"), ("R123-78.", "r12378")]
)
def test_versions_addresses_and_codes_stay_whole(text: str, token: str) -> None:
    assert token in tokenize(f"see {text} now")


def test_version_does_not_match_a_longer_one() -> None:
    assert not matches("v2.3", "v2.30")


def test_mixed_chinese_and_code() -> None:
    tokens = tokenize("支持X-200的国产化部署")
    assert {"支持", "x200", "国产化", "部署"} <= set(tokens)
    assert "的" not in tokens


def test_chinese_punctuation_and_stop_words_are_dropped() -> None:
    tokens = tokenize("我们的方案，支持在线部署。")
    assert not {"的", "，", "。", "我们", "在"} & set(tokens)
    assert {"方案", "支持", "部署"} <= set(tokens)


def test_long_chinese_words_also_give_their_sub_words() -> None:
    assert {"操作", "系统", "操作系统"} <= set(tokenize("麒麟操作系统"))


@pytest.mark.parametrize("query", ["国产化", "数据库", "部署", "等保"])
def test_short_chinese_query_matches_longer_text(query: str) -> None:
    assert matches(query, "全面支持国产化数据库的私有化部署，满足等保2.0三级")


def test_empty_and_punctuation_only_text() -> None:
    assert tokenize("") == []
    assert tokenize(" ,.;!？。 ") == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("支持X-200的国产化部署", "zh"),
        ("The X-200 supports on-premise deployment", "en"),
        ("Our product supports 国产化", "en"),  # 3 CJK, 3 words
        ("我们支持 SSO 和 LDAP", "zh"),  # 5 CJK, 2 words
        ("X-200 HA 双机支持 Oracle、MySQL、PostgreSQL 实时同步。", "zh"),  # 8 CJK, 5 words
        ("GuardEye 支持 Splunk SPL 规则迁移。", "zh"),
        ("支持 Kafka、Flink、Spark Streaming 和 Oracle GoldenGate 对接。", "zh"),
        ("DataHub 3.2 新增 Kafka Connect、Debezium CDC、Flink SQL、Snowflake sink 支持。", "zh"),
        ("Meeting notes: 江北银行 wants the X-200 quote by Friday", "en"),
        ("", "en"),
        ("12345 !!", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
