"""The versioned store, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.config import Settings
from kb.db import make_engine, transaction
from kb.documents import build_draft, sha256
from kb.errors import DocumentFormatError, NotFound
from kb.lifecycle import set_status
from kb.models import Chunk, Document, DocumentVersion, Event
from kb.store import ChunkInput, resolve_document, save_draft
from kb.versions import diff_versions, get_version, list_versions


def draft(text: str, **fields: object):  # noqa: ANN201
    return build_draft(
        {
            "id": "ci-acme",
            "kind": "competitor_intel",
            "competitor": "Acme",
            "source": "客户访谈",
            "observed": "2026-10-01",
            "owner": "li.na",
            **fields,
        },
        text,
        origin="ci-acme.md",
        default_id="ci-acme.md",
        default_title="ci-acme",
    )


def chunks_of(text: str) -> list[ChunkInput]:
    return [
        ChunkInput(
            ordinal=i,
            heading_path=("Pricing",),
            text=part,
            context="Acme",
            content_hash=sha256(part),
        )
        for i, part in enumerate(text.split("\n\n"))
    ]


def save(engine: Engine, text: str, author: str = "li.na", **fields: object) -> str:
    d = draft(text, **fields)
    with transaction(engine) as session:
        return save_draft(session, d, chunks_of(d.text), author=author).outcome


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_first_save_adds_document_version_chunks_and_event(engine: Engine) -> None:
    assert save(engine, "Acme cut prices by 20%.\n\nThey bundle support.") == "added"
    with Session(engine) as session:
        document = resolve_document(session, "ci-acme")
        assert document.current_version == 1
        assert document.kind == "competitor_intel"
        assert document.meta["competitor"] == "Acme"
        assert len(session.exec(select(Chunk)).all()) == 2
        events = session.exec(select(Event)).all()
        assert [(e.action, e.actor, e.version) for e in events] == [("create", "li.na", 1)]


def test_unchanged_content_writes_nothing(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    before = [count(engine, m) for m in (Document, DocumentVersion, Chunk, Event)]
    assert save(engine, "Acme cut prices by 20%.  \n") == "unchanged"
    assert [count(engine, m) for m in (Document, DocumentVersion, Chunk, Event)] == before


def test_changed_content_adds_a_version_and_keeps_the_old_one(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    assert save(engine, "Acme cut prices by 30%.", author="wang.fang") == "updated"
    with Session(engine) as session:
        document = resolve_document(session, "ci-acme")
        versions = list_versions(session, document)
        assert [(v.number, v.author) for v in versions] == [(1, "li.na"), (2, "wang.fang")]
        assert get_version(session, document, 1).text == "Acme cut prices by 20%."
        diff = diff_versions(session, document, 1, 2)
        assert "-Acme cut prices by 20%." in diff and "+Acme cut prices by 30%." in diff


def test_metadata_change_alone_makes_a_new_version(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    assert save(engine, "Acme cut prices by 20%.", tags=["pricing"]) == "updated"


def test_soft_delete_keeps_history_and_logs_event(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    with transaction(engine) as session:
        document = resolve_document(session, "ci-acme")
        assert set_status(session, document, "deleted", actor="zhang.wei")
    with Session(engine) as session:
        document = resolve_document(session, "ci-acme")
        assert document.status == "deleted"
        assert len(list_versions(session, document)) == 1
        actions = [e.action for e in session.exec(select(Event))]
        assert actions == ["create", "delete"]


def test_unknown_version_and_document_raise_not_found(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    with Session(engine) as session:
        document = resolve_document(session, "ci-acme")
        with pytest.raises(NotFound, match="no version 5"):
            get_version(session, document, 5)
        with pytest.raises(NotFound, match="nope"):
            resolve_document(session, "nope")


def test_failed_transaction_leaves_store_as_it_was(engine: Engine) -> None:
    save(engine, "Acme cut prices by 20%.")
    before = [count(engine, m) for m in (Document, DocumentVersion, Chunk, Event)]
    d = draft("Acme cut prices by 50%.")
    with pytest.raises(RuntimeError), transaction(engine) as session:
        save_draft(session, d, chunks_of(d.text), author="li.na")
        raise RuntimeError("disk full")
    assert [count(engine, m) for m in (Document, DocumentVersion, Chunk, Event)] == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "memo"}, "unknown kind 'memo'"),
        ({"competitor": None}, r"requires field\(s\) competitor"),
        ({"observed": "last week"}, "field 'observed' must be a date"),
        ({"confidentiality": "secret"}, "field 'confidentiality' must be one of"),
        ({"review_interval_days": -3}, "review_interval_days' must be a whole number from 1"),
    ],
)
def test_invalid_fields_name_file_and_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(DocumentFormatError, match=message) as error:
        draft("text", **fields)
    assert error.value.message.startswith("ci-acme.md:")


def test_bid_result_requires_valid_outcome() -> None:
    with pytest.raises(DocumentFormatError, match="'outcome' must be one of"):
        build_draft(
            {"kind": "bid_result", "bid": "B-1", "customer": "C", "outcome": "win"},
            "text",
            origin="b.md",
            default_id="b",
            default_title="b",
        )


def test_a_database_from_before_a_new_column_gains_it_and_keeps_its_rows(
    settings: Settings,
) -> None:
    """Opening a store made by an earlier kb adds the nullable columns added since."""
    engine = make_engine(settings)
    with transaction(engine) as session:
        save_draft(session, draft("Acme cut prices."), [], author="li.na")
    with engine.begin() as connection:
        connection.execute(text('ALTER TABLE "document" DROP COLUMN "source_hash"'))
    engine.dispose()
    assert "source_hash" not in {c["name"] for c in inspect(engine).get_columns("document")}
    engine = make_engine(settings)
    try:
        assert "source_hash" in {c["name"] for c in inspect(engine).get_columns("document")}
        with Session(engine) as session:
            assert resolve_document(session, "ci-acme").source_hash is None
    finally:
        engine.dispose()


def test_an_earlier_store_s_version_owner_and_status_move_from_metadata_to_columns(
    settings: Settings,
) -> None:
    """kb once kept a version's owner and status as `_owner` / `_status` in its metadata:
    opening such a store moves them into the columns, and updates compare with them."""
    engine = make_engine(settings)
    with transaction(engine) as session:
        save_draft(session, draft("Acme cut prices."), [], author="li.na")
        version = session.exec(select(DocumentVersion)).one()
        version.meta = {**version.meta, "_owner": "li.na", "_status": "active"}
        session.add(version)
    with engine.begin() as connection:
        for column in ("owner", "status"):
            connection.execute(text(f'ALTER TABLE "documentversion" DROP COLUMN "{column}"'))
    engine.dispose()
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            version = session.exec(select(DocumentVersion)).one()
            assert (version.owner, version.status) == ("li.na", "active")
            assert "_owner" not in version.meta and "_status" not in version.meta
            assert version.meta["competitor"] == "Acme"
        with transaction(engine) as session:  # the same owner again is no change of owner
            document = resolve_document(session, "ci-acme")
            document.owner = "wang"  # handed over since, without a new version
            session.add(document)
        with transaction(engine) as session:
            save_draft(session, draft("Acme cut prices again."), [], author="li.na")
        with Session(engine) as session:
            assert resolve_document(session, "ci-acme").owner == "wang"
            assert [
                v.owner for v in list_versions(session, resolve_document(session, "ci-acme"))
            ] == [
                "li.na",
                "li.na",
            ]
    finally:
        engine.dispose()
