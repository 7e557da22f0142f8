"""Near-duplicate warnings, with the real bundled model (English texts: it reads English)."""

from pathlib import Path

import pytest

from api.context import Context
from kb.access import Viewer
from kb.db import transaction
from kb.store import find_by_source_id
from search.duplicates import near_duplicate_report, near_duplicates

FAILOVER = """---
id: {id}
kind: qa
owner: li.na
question: How fast does the X-200 fail over?
{extra}---
# X-200 high availability

## Failover

The X-200 appliance runs as an active-passive pair. When the active node fails, the standby
node takes over the virtual IP address and resumes data collection within three seconds,
without losing buffered change records.
"""
REWORDED = FAILOVER.replace("within three seconds", "in about three seconds").replace(
    "without losing buffered change records", "and no buffered change record is lost"
)
PRICING = """---
id: pricing
kind: product_note
owner: chen.jie
---
# GuardEye price list

## Licences

GuardEye is licensed per monitored asset per year. Volume discounts start at 500 assets, and
three-year subscriptions receive a further ten percent reduction on the list price.
"""
CHINESE = """---
id: failover-zh
kind: qa
owner: li.na
question: X-200 切换时间？
---
# X-200 高可用

X-200 采用主备双机部署，主节点故障时备节点在三秒内接管虚拟 IP 并继续采集，不丢失缓存的变更记录。
"""


@pytest.fixture
def library(context: Context, tmp_path: Path) -> Context:
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "failover.md").write_text(FAILOVER.format(id="failover", extra=""), "utf-8")
    (folder / "pricing.md").write_text(PRICING, "utf-8")
    (folder / "failover-zh.md").write_text(CHINESE, "utf-8")
    assert not context.ingester.ingest_paths([folder]).failed
    context.indexes.sync()
    return context


def add(context: Context, tmp_path: Path, name: str, text: str) -> list[int]:
    path = tmp_path / f"{name}.md"
    path.write_text(text, "utf-8")
    report = context.ingester.ingest_paths([path])
    assert not report.failed
    context.indexes.sync()
    return report.document_ids


def document_id(context: Context, source_id: str) -> int:
    with transaction(context.engine) as session:
        document = find_by_source_id(session, source_id)
        assert document is not None and document.id is not None
        return document.id


def test_a_reworded_copy_is_reported_with_its_closest_section(
    library: Context, tmp_path: Path
) -> None:
    new_ids = add(library, tmp_path, "copy", REWORDED.format(id="failover-copy", extra=""))
    found = near_duplicates(library.indexes, new_ids, threshold=0.9)
    assert list(found) == new_ids
    [match] = found[new_ids[0]]
    assert match["document_id"] == document_id(library, "failover")
    assert match["source_id"] == "failover"
    assert match["title"] == "X-200 high availability"
    assert match["section"] == "X-200 high availability > Failover"
    assert 0.9 <= match["similarity"] <= 1.0


def test_distinct_content_is_not_reported(library: Context) -> None:
    pricing = document_id(library, "pricing")
    assert near_duplicates(library.indexes, [pricing], threshold=0.9) == {}
    below = near_duplicates(library.indexes, [pricing], threshold=0.0, limit=5)[pricing]
    assert all(m["similarity"] < 0.9 for m in below)
    assert pricing not in {m["document_id"] for m in below}  # never itself


def test_threshold_and_limit(library: Context, tmp_path: Path) -> None:
    new_ids = add(library, tmp_path, "copy", REWORDED.format(id="failover-copy", extra=""))
    assert near_duplicates(library.indexes, new_ids, threshold=1.0) == {}
    everything = near_duplicates(library.indexes, new_ids, threshold=-1.0, limit=5)[new_ids[0]]
    similarities = [m["similarity"] for m in everything]
    assert similarities == sorted(similarities, reverse=True)
    assert len(near_duplicates(library.indexes, new_ids, threshold=-1.0, limit=1)[new_ids[0]]) == 1


CHINESE_COPY = CHINESE.replace("id: failover-zh", "id: failover-zh-copy").replace(
    "在三秒内接管", "三秒以内接管"
)
CHINESE_PRICING = """---
id: pricing-zh
kind: product_note
owner: chen.jie
---
# GuardEye 报价

GuardEye 按监控资产数量逐年订阅计费，500 个资产起享受批量折扣，三年订阅在目录价基础上再优惠一成。
"""


def test_chinese_copies_are_found_lexically(library: Context, tmp_path: Path) -> None:
    """The English model cannot read Chinese, so its vectors for it are noise: Chinese text is
    compared by its keyword tokens instead, and a lightly edited copy is still caught."""
    [copy] = add(library, tmp_path, "copy-zh", CHINESE_COPY)
    [match] = near_duplicates(library.indexes, [copy], threshold=0.9)[copy]
    assert match["document_id"] == document_id(library, "failover-zh")
    assert 0.9 <= match["similarity"] < 1.0
    [other] = add(library, tmp_path, "pricing-zh", CHINESE_PRICING)
    assert near_duplicates(library.indexes, [other], threshold=0.9) == {}
    below = near_duplicates(library.indexes, [other], threshold=0.0, limit=5).get(other, [])
    assert all(m["similarity"] < 0.5 for m in below), below


def test_english_documents_are_not_compared_with_chinese_vectors(library: Context) -> None:
    english = document_id(library, "failover")
    others = near_duplicates(library.indexes, [english], threshold=-1.0, limit=5)[english]
    assert document_id(library, "failover-zh") not in {m["document_id"] for m in others}


def test_documents_hidden_from_the_viewer_are_not_named(library: Context, tmp_path: Path) -> None:
    add(
        library,
        tmp_path,
        "secret",
        FAILOVER.format(id="failover-secret", extra="confidentiality: confidential\n"),
    )
    new_ids = add(library, tmp_path, "copy", REWORDED.format(id="failover-copy", extra=""))
    outsider = Viewer(name="wang.fang", role="contributor")
    seen = {
        m["source_id"]
        for m in near_duplicates(library.indexes, new_ids, threshold=0.9, viewer=outsider)[
            new_ids[0]
        ]
    }
    assert seen == {"failover"}
    everyone = {
        m["source_id"] for m in near_duplicates(library.indexes, new_ids, threshold=0.9)[new_ids[0]]
    }
    assert everyone == {"failover", "failover-secret"}


def test_report_for_ingest(library: Context, tmp_path: Path) -> None:
    new_ids = add(library, tmp_path, "copy", REWORDED.format(id="failover-copy", extra=""))
    report = near_duplicate_report(library.indexes, new_ids, threshold=0.9)
    assert [(r["source_id"], [s["source_id"] for s in r["similar"]]) for r in report] == [
        ("failover-copy", ["failover"])
    ]
