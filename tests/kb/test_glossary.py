"""The glossary: parsing its table, one canonical name per thing, loading it from the store."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kb.db import transaction
from kb.documents import build_draft
from kb.errors import DocumentFormatError
from kb.glossary import Glossary, GlossaryEntry, load_glossary, parse_glossary
from kb.models import Reuse
from kb.reuse import reuse_by_field
from kb.store import save_draft
from tests.conftest import CONTENT

TABLE = """# Glossary

| name | type | zh | en | variants | note |
|---|---|---|---|---|---|
| Huawei Cloud | competitor | 华为云; 华为 | Huawei | HWC | DataArts |
| Energy | industry | 能源；电力 | energy; power | utilities | |
"""


def test_a_table_gives_entries_with_every_form() -> None:
    huawei, energy = parse_glossary(TABLE, "g.md")
    assert huawei == GlossaryEntry(
        "Huawei Cloud", "competitor", ("华为云", "华为"), ("Huawei",), ("HWC",), "DataArts"
    )
    assert energy.zh == ("能源", "电力") and energy.forms[:2] == ("Energy", "能源")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no table here", "needs a Markdown table"),
        ("| name | type | kind |\n|---|---|---|\n| X | product | a |", "has unknown kind"),
        ("| name | zh |\n|---|---|\n| X | 某 |", "lacks type"),
        ("| name | type |\n|---|---|\n| X | gadget |", "line 3: 'X' has type 'gadget'"),
        ("| name | type |\n|---|---|\n|  | product |", "line 3: a glossary entry needs a name"),
        ("| name | type |\n|---|---|\n| X | product |\n| x | product |", "already on line 3"),
        ("| name | type |\n|---|---|", "has no entries"),
    ],
)
def test_a_bad_table_is_refused_with_the_line_and_problem(text: str, message: str) -> None:
    with pytest.raises(DocumentFormatError, match=message):
        parse_glossary(text, "g.md")


def test_metadata_values_resolve_to_the_canonical_name_by_type() -> None:
    glossary = Glossary(parse_glossary(TABLE, "g.md"))
    assert glossary.canonical("industry", "能源") == "Energy"
    assert glossary.canonical("industry", "POWER") == "Energy"
    assert glossary.canonical("competitors", "huawei-cloud") == "Huawei Cloud"
    assert glossary.canonical("industry", "华为云") == "华为云"  # a competitor, not an industry
    assert glossary.canonical("customer", "Unknown Co") == "Unknown Co"
    meta = glossary.canonical_meta(
        {"competitors": ["华为", "HWC"], "industry": "电力", "tags": ["华为"]}
    )
    assert meta == {"competitors": ["Huawei Cloud"], "industry": "Energy", "tags": ["华为"]}


def test_the_glossary_is_read_from_its_documents_and_follows_their_edits(engine: Engine) -> None:
    def store(text: str) -> None:
        fields = {"id": "glossary-x", "kind": "glossary", "owner": "li.na"}
        draft = build_draft(fields, text, origin="g.md", default_id="g", default_title="G")
        with transaction(engine) as session:
            save_draft(session, draft, [], author="li.na")

    with Session(engine) as session:
        assert len(load_glossary(session)) == 0
    store(TABLE)
    with Session(engine) as session:
        assert load_glossary(session).canonical("industry", "能源") == "Energy"
    store(TABLE.replace("| Energy | industry | 能源；电力", "| Power | industry | 能源；电力"))
    with Session(engine) as session:
        assert load_glossary(session).canonical("industry", "能源") == "Power"


def test_the_sample_glossary_names_every_metadata_value_of_the_sample() -> None:
    glossary = Glossary(
        entry
        for path in sorted((CONTENT / "glossary").glob("*.md"))
        for entry in parse_glossary(path.read_text(encoding="utf-8"), path.name)
    )
    assert len(glossary) >= 150
    assert {e.type for e in glossary.entries} == {
        "product",
        "competitor",
        "customer",
        "industry",
        "technology",
        "regulation",
        "term",
    }
    assert glossary.canonical("industry", "能源") == glossary.canonical("industry", "energy")
    mlps = glossary.find("MLPS")
    assert mlps is not None and {"等保", "等级保护", "Classified Protection"} <= set(mlps.forms)


def test_reuse_analytics_group_values_by_their_canonical_name(engine: Engine) -> None:
    drafts = [
        ({"id": "glossary-x", "kind": "glossary"}, TABLE),
        ({"id": "a", "competitors": ["华为云"]}, "Intel A."),
        ({"id": "b", "competitors": ["HWC"], "industry": "电力"}, "Intel B."),
    ]
    with transaction(engine) as session:
        ids = []
        for fields, text in drafts:
            draft = build_draft(fields, text, origin="t", default_id="d", default_title="T")
            ids.append(save_draft(session, draft, [], author="li.na").document.id)
        session.add_all(Reuse(document_id=i, version=1, proposal_ref="P-1") for i in ids[1:])
    with Session(engine) as session:
        rows = reuse_by_field(session, "competitors")
        assert [(r.value, r.stats.reuse_count) for r in rows] == [("Huawei Cloud", 2)]
        assert [r.value for r in reuse_by_field(session, "industry")] == ["Energy"]


def test_names_of_one_thing_share_one_key_in_either_language() -> None:
    glossary = Glossary(parse_glossary(TABLE, "g.md"))
    keys = {glossary.name_key("competitor", name) for name in ("华为云", "HWC", "huawei-cloud")}
    assert keys == {glossary.name_key("competitors", "Huawei")} and len(keys) == 1
    assert glossary.name_key("competitor", "Tencent Cloud") == "tencentcloud"  # as written
    meta = {"competitor": "华为", "industry": "电力"}
    assert glossary.holds(meta, "competitors", ["Huawei Cloud"])  # through the alias field
    assert glossary.holds(meta, "industry", ["utilities", "金融"])
    assert not glossary.holds(meta, "industry", ["金融"])
    assert not glossary.holds(meta, "customer", ["华为"])  # a field the meta does not give
