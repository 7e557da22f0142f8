from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from kb.access import Viewer
from kb.db import transaction
from kb.documents import build_draft
from kb.errors import Conflict, Forbidden, InvalidInput
from kb.freshness import freshness_of
from kb.lifecycle import set_status
from kb.models import DocumentVersion, Event
from kb.review import review_document
from kb.store import get_document, save_draft

WRITTEN = datetime(2026, 1, 5)
LATER = datetime(2026, 11, 27)
OWNER = Viewer(name="li.na", role="contributor")


@pytest.fixture
def document_id(engine: Engine) -> int:
    with transaction(engine) as session:
        draft = build_draft(
            {
                "id": "intel",
                "kind": "competitor_intel",
                "owner": "li.na",
                "competitor": "帆软",
                "source": "公开报价",
                "observed": "2026-01-04",
            },
            "FineReport list prices.",
            origin="intel",
            default_id="intel",
            default_title="intel",
        )
        document = save_draft(session, draft, [], author="li.na", now=WRITTEN).document
        assert document.id is not None
        return document.id


def review(engine: Engine, document_id: int, viewer: Viewer | None, **options: object) -> None:
    with transaction(engine) as session:
        document = get_document(session, document_id)
        review_document(
            session,
            document,
            actor=viewer.name if viewer else "cli",
            viewer=viewer,
            now=LATER,
            **options,
        )


def test_review_restarts_the_clock_without_a_new_version(engine: Engine, document_id: int) -> None:
    with Session(engine) as session:
        before = freshness_of(get_document(session, document_id), now=LATER, owner_active=True)
    assert before.status == "stale"
    review(engine, document_id, OWNER, note="  prices unchanged  ")
    with Session(engine) as session:
        document = get_document(session, document_id)
        assert document.reviewed_at == LATER
        assert document.current_version == 1
        assert session.exec(select(func.count(col(DocumentVersion.id)))).one() == 1
        after = freshness_of(document, now=LATER, owner_active=True)
        event = session.exec(select(Event).where(Event.action == "review")).one()
    assert (after.status, after.score, after.last_verified) == ("fresh", 100, LATER)
    assert (event.actor, event.document_id, event.version, event.at, event.detail) == (
        "li.na",
        document_id,
        1,
        LATER,
        {"note": "prices unchanged"},
    )


def test_managers_and_the_local_operator_may_review(engine: Engine, document_id: int) -> None:
    review(engine, document_id, Viewer(name="zhang.wei", role="manager"))
    review(engine, document_id, None)
    with Session(engine) as session:
        events = session.exec(select(Event).where(Event.action == "review")).all()
    assert [e.actor for e in events] == ["zhang.wei", "cli"]
    assert [e.detail for e in events] == [{"note": None}, {"note": None}]


def test_others_may_not_review(engine: Engine, document_id: int) -> None:
    with pytest.raises(Forbidden):
        review(engine, document_id, Viewer(name="wang.fang", role="contributor"))
    with Session(engine) as session:
        assert get_document(session, document_id).reviewed_at is None
        assert not session.exec(select(Event).where(Event.action == "review")).all()


def test_deleted_documents_cannot_be_reviewed(engine: Engine, document_id: int) -> None:
    with transaction(engine) as session:
        set_status(session, get_document(session, document_id), "deleted", actor="li.na")
    with pytest.raises(Conflict):
        review(engine, document_id, OWNER)


def test_overlong_notes_are_rejected(engine: Engine, document_id: int) -> None:
    with pytest.raises(InvalidInput):
        review(engine, document_id, OWNER, note="x" * 2001)
