from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from api.context import Context
from kb.db import transaction
from kb.documents import build_draft
from kb.errors import InvalidInput, NotFound
from kb.freshness import audit_freshness
from kb.handover import hand_over
from kb.lifecycle import set_status
from kb.models import Document, DocumentVersion, Event, Person
from kb.store import save_draft

NOW = datetime(2026, 11, 27)


@pytest.fixture
def team(engine: Engine) -> Engine:
    """liu.yang owns an active, an archived and a deleted document; li.na owns one."""
    with transaction(engine) as session:
        session.add_all(
            [Person(name="liu.yang"), Person(name="li.na"), Person(name="gone", disabled=True)]
        )
        for source_id, owner in [
            ("a", "liu.yang"),
            ("b", "liu.yang"),
            ("c", "liu.yang"),
            ("d", "li.na"),
        ]:
            draft = build_draft(
                {"id": source_id, "owner": owner, "updated": "2026-11-01"},
                f"Text of {source_id}.",
                origin=source_id,
                default_id=source_id,
                default_title=source_id,
            )
            save_draft(session, draft, [], author=owner, now=datetime(2026, 11, 1))
        documents = {d.source_id: d for d in session.exec(select(Document))}
        set_status(session, documents["b"], "archived", actor="liu.yang")
        set_status(session, documents["c"], "deleted", actor="liu.yang")
    return engine


def owners(engine: Engine) -> dict[str, str | None]:
    with Session(engine) as session:
        return {d.source_id: d.owner for d in session.exec(select(Document))}


def test_hand_over_moves_every_document_and_disables_the_leaver(team: Engine) -> None:
    with Session(team) as session:
        versions_before = session.exec(select(func.count(col(DocumentVersion.id)))).one()
    with transaction(team) as session:
        result = hand_over(session, "liu.yang", "li.na", actor="zhang.wei", disable=True, now=NOW)
    assert [d["source_id"] for d in result.documents] == ["a", "b", "c"]
    assert result.disabled
    assert owners(team) == dict.fromkeys("abcd", "li.na")
    with Session(team) as session:
        disabled = {p.name for p in session.exec(select(Person).where(Person.disabled == True))}  # noqa: E712
        assert not [d for d in session.exec(select(Document)) if d.owner in disabled]
        events = session.exec(select(Event).where(Event.action == "handover")).all()
        assert len(events) == 3
        assert {(e.actor, e.at, e.detail["from"], e.detail["to"]) for e in events} == {
            ("zhang.wei", NOW, "liu.yang", "li.na")
        }
        assert session.exec(select(func.count(col(DocumentVersion.id)))).one() == versions_before
        assert {d.current_version for d in session.exec(select(Document))} == {1}


def test_hand_over_without_disable_keeps_the_leaver_enabled(team: Engine) -> None:
    with transaction(team) as session:
        result = hand_over(session, "liu.yang", "li.na", actor=None)
    assert not result.disabled
    with Session(team) as session:
        assert not session.exec(select(Person).where(Person.name == "liu.yang")).one().disabled


def test_disabled_owner_shows_unowned_until_the_hand_over(team: Engine) -> None:
    with transaction(team) as session:
        session.exec(select(Person).where(Person.name == "liu.yang")).one().disabled = True
    with Session(team) as session:
        before = {r.source_id: r.freshness.status for r in audit_freshness(session, now=NOW)}
    assert before == {"a": "unowned", "d": "fresh"}
    with transaction(team) as session:
        hand_over(session, "liu.yang", "li.na", actor=None)
    with Session(team) as session:
        after = {r.source_id: r.freshness.status for r in audit_freshness(session, now=NOW)}
    assert after == {"a": "fresh", "d": "fresh"}


@pytest.mark.parametrize(
    ("leaver", "successor", "error"),
    [
        ("liu.yang", "nobody", NotFound),
        ("liu.yang", "gone", InvalidInput),
        ("liu.yang", "liu.yang", InvalidInput),
        ("liu.yang", " ", InvalidInput),
        ("nobody", "li.na", NotFound),
    ],
)
def test_bad_hand_overs_change_nothing(
    team: Engine, leaver: str, successor: str, error: type[Exception]
) -> None:
    before = owners(team)
    with pytest.raises(error), transaction(team) as session:
        hand_over(session, leaver, successor, actor=None, disable=True)
    assert owners(team) == before
    with Session(team) as session:
        assert not session.exec(select(Event).where(Event.action == "handover")).all()
        assert not session.exec(select(Person).where(Person.name == "liu.yang")).one().disabled


def test_documents_of_an_unknown_name_can_be_handed_over(team: Engine) -> None:
    with transaction(team) as session:
        session.exec(select(Document).where(Document.source_id == "d")).one().owner = "old.name"
    with transaction(team) as session:
        result = hand_over(session, "old.name", "li.na", actor=None)
    assert [d["source_id"] for d in result.documents] == ["d"]
    with pytest.raises(NotFound), transaction(team) as session:
        hand_over(session, "old.name", "li.na", actor=None, disable=True)


OWNED_BY_LEAVER = """---
id: leaver-note
kind: product_note
owner: liu.yang
updated: 2026-10-01
---
# Leaver's note

The X-200 appliance supports active-passive failover within three seconds.
"""


def test_re_ingesting_the_leavers_file_keeps_the_successor(
    context: Context, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "note.md"
    path.write_text(OWNED_BY_LEAVER, encoding="utf-8")
    with transaction(context.engine) as session:
        session.add_all([Person(name="liu.yang"), Person(name="li.na")])
    assert context.ingester.ingest_paths([folder]).added == ["leaver-note"]
    with transaction(context.engine) as session:
        hand_over(session, "liu.yang", "li.na", actor="zhang.wei", disable=True)
    assert context.ingester.ingest_paths([folder]).unchanged == ["leaver-note"]
    assert owners(context.engine) == {"leaver-note": "li.na"}
    path.write_text(OWNED_BY_LEAVER + "\nFailback is manual.\n", encoding="utf-8")
    assert context.ingester.ingest_paths([folder]).updated == ["leaver-note"]
    assert owners(context.engine) == {"leaver-note": "li.na"}
