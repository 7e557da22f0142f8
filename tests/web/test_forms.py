"""The web contribute form follows kb.vocabulary's field table: a kind's form offers exactly
the metadata fields the kind carries, and a field added to the table is one line away from
the form, validation, the filters and the CSV reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.web.forms import ROW_FIELDS, fields_for, request_fields
from kb.vocabulary import METADATA_FIELDS, Kind, Shape, required_fields

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", list(Kind))
def test_a_kinds_form_offers_exactly_the_fields_the_kind_carries(kind: Kind) -> None:
    offered = [f.name for f in fields_for(kind)]
    carried = [f.name for f in METADATA_FIELDS if kind in f.kinds and f.on_form]
    assert sorted(offered) == sorted([*carried, *ROW_FIELDS])
    assert len(offered) == len(set(offered))
    required = {f.name for f in fields_for(kind) if f.required}
    assert required == set(required_fields(kind)) - {"answer"}
    assert offered[: len(required)] == [n for n in offered if n in required]  # required first


def test_form_text_becomes_the_shape_the_table_gives() -> None:
    form = {
        "competitors": "华为云，Alibaba Cloud",
        "reasons": "price, mostly\nlate delivery",
        "amount": "1200000",
        "review_interval_days": "90",
        "outcome": "won",
        "decision_date": "",
    }
    fields = request_fields(form, Kind.bid_result)
    assert fields == {
        "competitors": ["华为云", "Alibaba Cloud"],
        "reasons": ["price, mostly", "late delivery"],
        "amount": 1200000.0,
        "review_interval_days": 90,
        "outcome": "won",
    }
    widgets = {f.name: f.widget for f in fields_for(Kind.bid_result)}
    assert widgets["outcome"] == "select" and widgets["decision_date"] == "date"
    assert widgets["review_interval_days"] == "number" and widgets["reasons"] == "lines"


# Run in a fresh interpreter: kb/vocabulary.py with one more line, then every reader of it.
NEW_FIELD_CHECK = """
import sys, types
from pathlib import Path
source = Path("kb/vocabulary.py").read_text(encoding="utf-8")
anchor = "METADATA_FIELDS: tuple[MetadataField, ...] = (\\n"
assert anchor in source
line = (
    '    MetadataField("regions", Shape.list, filter="region", kinds=(Kind.proposal,), '
    'context=ContextParam("regions", many=True)),\\n'
)
module = types.ModuleType("kb.vocabulary")
module.__file__ = "kb/vocabulary.py"
sys.modules["kb.vocabulary"] = module
exec(compile(source.replace(anchor, anchor + line), "kb/vocabulary.py", "exec"), module.__dict__)

from pydantic import ValidationError
from api.schemas.documents import DocumentCreate, MetadataFilters, metadata_filters
from api.schemas.search import SuggestionRequest
from api.web.forms import fields_for, request_fields
from ingest.readers.csv import read
from kb.documents import build_draft
from kb.errors import DocumentFormatError
from kb.glossary import Glossary
from search.catalog import DocEntry, parse_filters
from search.suggestion_score import context_match, requested_context

base = {"kind": "proposal", "title": "t", "text": "x", "customer": "c", "industry": "i"}
assert DocumentCreate.model_validate({**base, "regions": ["华东"]}).regions == ["华东"]
try:
    DocumentCreate.model_validate({**base, "regions": 5})
    raise SystemExit("a number passed as a list field")
except ValidationError:
    pass
try:
    build_draft({**base, "regions": {"a": 1}}, "x", origin="t", default_id="d", default_title="t")
    raise SystemExit("front matter took a mapping for a list field")
except DocumentFormatError as exc:
    assert "regions" in exc.message
assert metadata_filters(MetadataFilters(region="华东")) == {"regions": "华东"}
assert "regions" in [f.name for f in fields_for("proposal")]
assert "regions" not in [f.name for f in fields_for("qa")]
assert request_fields({"regions": "华东, 华南"}, "proposal")["regions"] == ["华东", "华南"]
rows = "question,answer,regions\\nSLA?,99.9%.,华东; 华南\\n".encode()
assert read(rows, "qa.csv").documents[0].fields["regions"] == ["华东", "华南"]
entry = DocEntry(id=1, source_id="s", kind="proposal", title="t", language="en", owner=None,
                 confidentiality="internal", version=1, updated_at=None, content_date=None,
                 meta={"regions": ["华东"]})
assert all(check(entry) for check in parse_filters({"region": "华东"}))
assert not any(check(entry) for check in parse_filters({"region": "华北"}))
request = SuggestionRequest.model_validate({"text": "x", "regions": ["华东"], "industry": "i"})
wanted = requested_context(request.model_dump())
assert wanted == {"regions": ["华东"], "industry": ["i"]}, wanted
assert context_match(wanted, {"regions": ["华东"], "industry": "i"}, Glossary()) == 1.0
assert context_match(wanted, {"regions": ["华北"], "industry": "i"}, Glossary()) == 0.5
print("ok")
"""


def test_a_field_added_to_the_table_reaches_forms_validation_filters_csv_and_suggestions() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NEW_FIELD_CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_every_list_field_the_form_splits_is_a_list_in_the_table() -> None:
    from api.web.forms import LINE_LISTS

    shapes = {f.name: f.shape for f in METADATA_FIELDS}
    assert all(shapes[name] is Shape.list for name in LINE_LISTS)
