"""The vocabulary is one table that validation, filters and docs all follow."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.schemas.documents import DocumentFields, MetadataFilters
from kb.documents import build_draft
from kb.errors import DocumentFormatError
from kb.vocabulary import (
    FIELDS_BY_FILTER,
    METADATA_FIELDS,
    Kind,
    Shape,
    field_values,
    has_value,
    required_fields,
)
from search.catalog import DocEntry, parse_filters

ROOT = Path(__file__).resolve().parents[1]


def test_a_competitor_counts_among_competitors() -> None:
    meta = {"competitor": "华为云", "competitors": ["Alibaba Cloud"]}
    assert field_values(meta, "competitors") == ["Alibaba Cloud", "华为云"]
    assert has_value(meta, "competitors", [" 华为云 "])
    assert has_value(meta, "competitors", ["alibaba cloud"])
    assert not has_value(meta, "competitors", ["Tencent"])


def test_field_values_of_text_list_and_missing_fields() -> None:
    meta = {"customer": "江北银行", "products": ["X-200", "DataHub"]}
    assert field_values(meta, "customer") == ["江北银行"]
    assert field_values(meta, "products") == ["X-200", "DataHub"]
    assert field_values(meta, "industry") == []


def test_request_shape_takes_every_metadata_field() -> None:
    assert {f.name for f in METADATA_FIELDS} <= set(DocumentFields.model_fields)
    assert set(MetadataFilters.model_fields) == {f.filter for f in METADATA_FIELDS if f.filter}


def test_format_doc_names_every_metadata_field_and_kind() -> None:
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    undocumented = [f.name for f in METADATA_FIELDS if f"`{f.name}`" not in text]
    undocumented += [kind.value for kind in Kind if f"`{kind.value}`" not in text]
    assert undocumented == [
        "grants",  # set over the API or front matter for confidential documents (README)
        "author",  # written by kb itself for API contributions
    ]


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_requires_the_fields_of_the_table(kind: Kind) -> None:
    required = required_fields(kind)
    fields = {"kind": kind.value, "outcome": "won", "observed": "2026-01-01"}
    fields |= {name: "x" for name in required if name not in fields}
    text = "| name | type |\n|---|---|\n| X-200 | product |" if kind == Kind.glossary else "text"
    assert build_draft(fields, text, origin="t", default_id="d", default_title="t").kind == kind
    for name in required:
        with pytest.raises(DocumentFormatError, match=name):
            build_draft(
                {k: v for k, v in fields.items() if k != name},
                text,
                origin="t",
                default_id="d",
                default_title="t",
            )


def test_every_filterable_field_filters_search() -> None:
    entry = DocEntry(
        id=1,
        source_id="s",
        kind="proposal",
        title="t",
        language="en",
        owner=None,
        confidentiality="internal",
        version=1,
        updated_at=None,  # type: ignore[arg-type]
        content_date=None,
        meta={"products": ["X-200"], "competitor": "华为云", "tags": ["a"], "industry": "金融"},
    )
    for name, field in FIELDS_BY_FILTER.items():
        held = field_values(entry.meta, field.name)
        if not held:
            continue
        assert all(check(entry) for check in parse_filters({name: held[0].upper()}))
        assert not any(check(entry) for check in parse_filters({name: "nothing"}))
    assert {f.shape for f in FIELDS_BY_FILTER.values()} == {Shape.list, Shape.text}
