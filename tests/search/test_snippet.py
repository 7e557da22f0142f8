"""Snippets mark the query's terms where they are densest."""

from __future__ import annotations

from search.snippet import make_snippet, matched_spans, query_terms


def test_english_terms_match_by_stem_and_are_marked() -> None:
    snippet = make_snippet("The appliance was certified in 2025.", query_terms("certify"))
    assert snippet == "The appliance was **certified** in 2025."


def test_chinese_terms_and_codes_are_marked() -> None:
    text = "华为云报价下调三成，X-200 仍有优势。"
    snippet = make_snippet(text, query_terms("华为云 报价 X-200"))
    assert snippet == "**华为云报价**下调三成，**X-200** 仍有优势。"


def test_window_moves_to_the_matches_in_long_text() -> None:
    text = "filler words here. " * 40 + "Kerberos and SAML support. " + "more filler. " * 40
    snippet = make_snippet(text, query_terms("SAML Kerberos"), width=120)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "**Kerberos**" in snippet and "**SAML**" in snippet and len(snippet) < 150


def test_no_terms_no_marks() -> None:
    assert matched_spans("anything at all", query_terms("the of and")) == []
    assert make_snippet("short text", frozenset()) == "short text"


def test_bold_in_a_snippet_only_ever_marks_a_match() -> None:
    text = "**GuardEye** pricing: `X-200` is sold **per appliance**."
    assert (
        make_snippet(text, query_terms("X-200"))
        == "GuardEye pricing: **X-200** is sold per appliance."
    )
    assert (
        make_snippet(text, query_terms("guardeye"))
        == "**GuardEye** pricing: X-200 is sold per appliance."
    )


def test_a_joined_standard_marks_both_words() -> None:
    snippet = make_snippet("Certified to ISO 27001 since 2021.", query_terms("ISO27001"))
    assert snippet == "Certified to **ISO 27001** since 2021."
