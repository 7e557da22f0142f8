"""Section types: one table maps the headings proposals use, in either language, to a type."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.documents import build_draft, sha256
from kb.errors import InvalidInput
from kb.models import Chunk
from kb.sections import (
    OTHER,
    SECTION_TYPES,
    resolve_section_type,
    type_of_heading,
    type_of_path,
)
from kb.store import ChunkInput, save_draft
from kb.vocabulary import SectionType


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("项目背景", "background"),
        ("一、项目概述", "background"),
        ("Background", "background"),
        ("需求理解", "requirements"),
        ("2.1 Requirements", "requirements"),
        ("技术方案", "solution"),
        ("总体方案", "solution"),
        ("Solution Architecture", "solution"),
        ("我方优势", "advantages"),
        ("Why us", "advantages"),
        ("实施计划与团队", "implementation"),
        ("Delivery plan and team", "implementation"),
        ("服务与培训", "support"),
        ("报价概要", "pricing"),
        ("Commercials", "pricing"),
        ("迁移方案", "migration"),  # contains 方案, but 迁移方案 is longer
        ("数据安全与合规设计", "security"),
        ("数据质量闭环机制", None),
        ("Near real-time sales", None),
    ],
)
def test_headings_in_either_language(heading: str, expected: str | None) -> None:
    assert type_of_heading(heading) == expected


def test_a_chunk_takes_its_innermost_typed_heading_and_skips_the_title() -> None:
    title = "江南银行实时数据集成与数据平台建设项目技术方案"
    assert type_of_path([title], title) == OTHER  # the title's 技术方案 is not a section
    assert type_of_path([title, "项目背景"], title) == "background"
    assert type_of_path([title, "解决方案", "报价概要"], title) == "pricing"
    assert type_of_path([title, "解决方案", "数据质量闭环机制"], title) == "solution"


def test_requests_name_a_type_by_name_or_heading() -> None:
    assert resolve_section_type("解决方案") == "solution"
    assert resolve_section_type("Solution") == "solution"
    assert resolve_section_type("pricing") == "pricing"
    assert resolve_section_type("Why us") == "advantages"
    with pytest.raises(InvalidInput, match="known section types: background"):
        resolve_section_type("结束语")


def test_proposal_chunks_store_their_type_and_an_old_database_catches_up(
    settings: Settings,
) -> None:
    """Ingest stores each proposal chunk's type; a database from before section types (the
    column dropped) gains the column and the types when it is opened."""
    text_ = "# Offer\n\n## 项目背景\n\nA bank.\n\n## 解决方案\n\nTwo nodes.\n\n### 报价\n\n400k."
    document = build_draft(
        {"id": "prop-a", "kind": "proposal", "title": "Offer", "customer": "A", "industry": "金融"},
        text_,
        origin="a.md",
        default_id="a",
        default_title="a",
    )
    paths = [("Offer", "项目背景"), ("Offer", "解决方案"), ("Offer", "解决方案", "报价")]
    chunks = [
        ChunkInput(i, path, f"part {i}", "", sha256(f"part {i}")) for i, path in enumerate(paths)
    ]
    engine = make_engine(settings)
    with transaction(engine) as session:
        save_draft(session, document, chunks, author="li.na")
    expected = ["background", "solution", "pricing"]
    assert _types(engine) == expected
    with engine.begin() as connection:
        connection.execute(text('DROP INDEX IF EXISTS "ix_chunk_section_type"'))
        connection.execute(text('ALTER TABLE "chunk" DROP COLUMN "section_type"'))
    engine.dispose()
    engine = make_engine(settings)
    try:
        assert _types(engine) == expected
    finally:
        engine.dispose()


def _types(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        return list(session.exec(select(Chunk.section_type).order_by(col(Chunk.ordinal))))


def test_the_table_has_a_row_for_every_type_of_the_vocabulary_in_its_order() -> None:
    assert [row.name for row in SECTION_TYPES] + [OTHER] == list(SectionType)
