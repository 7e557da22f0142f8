from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.contributions import METRICS, contributions, parse_day
from kb.db import transaction
from kb.documents import build_draft
from kb.errors import InvalidInput
from kb.lifecycle import set_status
from kb.models import Document, Person
from kb.people import IMPORT_IDENTITY
from kb.reuse import record_outcome, record_reuse
from kb.review import review_document
from kb.store import save_draft

INTEL = {"competitor": "华为云", "source": "客户访谈", "observed": "2026-01-05"}
BID_RESULT = {"bid": "BID-2", "customer": "江南银行", "outcome": "won"}


def save(
    session: Session,
    source_id: str,
    at: datetime,
    *,
    author: str,
    kind: str = "qa",
    text: str = "Body.",
    **fields: Any,
) -> Document:
    fields = {"id": source_id, "kind": kind, "owner": author, "question": "Q?", **fields}
    draft = build_draft(
        fields, text, origin=source_id, default_id=source_id, default_title=source_id
    )
    return save_draft(session, draft, [], author=author, now=at).document


@pytest.fixture
def history(engine: Engine) -> Engine:
    """li.na (east) and zhang.wei (east) write; wang.fang (south) and chen.jie reuse."""
    with transaction(engine) as session:
        session.add_all(
            [
                Person(name="li.na", team="east"),
                Person(name="zhang.wei", team="east"),
                Person(name="wang.fang", team="south"),
            ]
        )
        intel = save(
            session,
            "intel",
            datetime(2026, 1, 10, 10),
            author="li.na",
            kind="competitor_intel",
            **INTEL,
        )
        save(
            session,
            "intel",
            datetime(2026, 2, 1, 0, 0),
            author="zhang.wei",
            kind="competitor_intel",
            text="Body, revised.",
            **INTEL,
        )
        save(session, "faq", datetime(2026, 1, 31, 23, 59, 59), author="li.na")
        save(
            session, "BID-2", datetime(2026, 1, 2), author="ghost", kind="bid_result", **BID_RESULT
        )
        review_document(
            session,
            intel,
            actor="li.na",
            viewer=None,
            note="checked",
            now=datetime(2026, 2, 28, 23, 59),
        )
        reuse = [  # (version, user, bid, day): v1 by li.na, v2 by zhang.wei
            (1, "wang.fang", "BID-1", 3),
            (1, "chen.jie", "BID-2", 4),
            (1, "li.na", "BID-1", 5),
            (1, "wang.fang", "BID-3", 6),
            (2, "li.na", "BID-1", 7),
            (2, "zhang.wei", None, 8),
        ]
        for version, user, bid, day in reuse:
            record_reuse(
                session,
                intel,
                proposal_ref=f"P-{day}",
                version=version,
                user=user,
                bid_ref=bid,
                now=datetime(2026, 3, day, 12),
            )
        record_outcome(session, "BID-1", "won")
        record_outcome(session, "BID-3", "lost")
    return engine


def rows(
    engine: Engine, since: str | None = None, until: str | None = None, group_by: str = "person"
) -> dict[Any, dict[str, Any]]:
    with Session(engine) as session:
        found = contributions(
            session,
            since=parse_day(since, "since"),
            until=parse_day(until, "until"),
            group_by=group_by,
        )
    return {row[group_by]: row for row in found}


MARKED = ("documents_deleted", "duplicates_deleted", "versions_reverted")


def counts(row: dict[str, Any]) -> tuple[int, ...]:
    """The counted metrics (without the marked ones, checked on their own)."""
    return tuple(row[m] for m in METRICS if m not in MARKED)


def test_counts_over_all_time(history: Engine) -> None:
    found = rows(history)
    # created, versions, reviews, intel, reused by others, in won bids
    assert counts(found["li.na"]) == (2, 2, 1, 1, 3, 2)
    assert found["li.na"]["team"] == "east"
    assert counts(found["zhang.wei"]) == (0, 1, 0, 0, 1, 1)
    assert counts(found["ghost"]) == (1, 1, 0, 0, 0, 0)
    assert found["ghost"]["team"] is None
    assert "wang.fang" not in found and "chen.jie" not in found


def test_a_version_that_brings_back_a_deleted_document_counts(engine: Engine) -> None:
    with transaction(engine) as session:
        document = save(session, "faq", datetime(2026, 3, 1), author="li.na")
        set_status(session, document, "deleted", actor="wang.min", now=datetime(2026, 3, 2))
        save(session, "faq", datetime(2026, 3, 3), author="zhang.wei", text="Back again.")
    found = rows(engine, "2026-03-03", "2026-03-03")
    assert counts(found["zhang.wei"]) == (0, 1, 0, 0, 0, 0)


def test_range_days_are_whole_and_both_ends_included(history: Engine) -> None:
    assert counts(rows(history, "2026-01-10", "2026-01-10")["li.na"]) == (1, 1, 0, 1, 0, 0)
    january = rows(history, "2026-01-01", "2026-01-31")
    assert counts(january["li.na"]) == (2, 2, 0, 1, 0, 0)  # the 23:59:59 one is in
    assert "zhang.wei" not in january  # midnight of 1 February is not
    february = rows(history, "2026-02-01", "2026-02-28")
    assert counts(february["zhang.wei"]) == (0, 1, 0, 0, 0, 0)
    assert counts(february["li.na"]) == (0, 0, 1, 0, 0, 0)
    assert counts(rows(history, since="2026-03-05")["li.na"]) == (0, 0, 0, 0, 1, 0)
    assert counts(rows(history, until="2026-03-03")["li.na"]) == (2, 2, 1, 1, 1, 1)


@pytest.mark.parametrize(
    "split", [date(2026, 1, 10), date(2026, 2, 1), date(2026, 3, 4), date(2026, 3, 7)]
)
def test_adjacent_ranges_add_up_to_the_whole(history: Engine, split: date) -> None:
    before = rows(history, until=(split - timedelta(days=1)).isoformat())
    after = rows(history, since=split.isoformat())
    zero = dict.fromkeys(METRICS, 0)
    for person, row in rows(history).items():
        total = [
            a + b
            for a, b in zip(
                counts(before.get(person, zero)), counts(after.get(person, zero)), strict=True
            )
        ]
        assert tuple(total) == counts(row), person


def test_group_by_team_and_kind(history: Engine) -> None:
    teams = rows(history, group_by="team")
    assert counts(teams["east"]) == (2, 3, 1, 1, 4, 3)
    assert counts(teams[None]) == (1, 1, 0, 0, 0, 0)
    kinds = rows(history, group_by="kind")
    assert counts(kinds["competitor_intel"]) == (1, 2, 1, 1, 4, 3)
    assert counts(kinds["qa"]) == (1, 1, 0, 0, 0, 0)
    assert counts(kinds["bid_result"]) == (1, 1, 0, 0, 0, 0)


def test_the_calendar_edges_are_valid_bounds(history: Engine) -> None:
    assert rows(history, "0001-01-01", "9999-12-31") == rows(history)


def test_empty_range_has_no_rows(history: Engine) -> None:
    assert rows(history, "2030-01-01", "2030-12-31") == {}


@pytest.mark.parametrize(
    ("since", "until", "group_by"),
    [
        ("2026-13-01", None, "person"),
        (None, "yesterday", "person"),
        ("2026-02-02", "2026-02-01", "person"),
        (None, None, "customer"),
    ],
)
def test_invalid_input_is_rejected(
    history: Engine, since: str | None, until: str | None, group_by: str
) -> None:
    with pytest.raises(InvalidInput):
        rows(history, since, until, group_by)


def test_deleted_duplicates_reverted_changes_and_imports_are_marked(engine: Engine) -> None:
    with transaction(engine) as session:
        session.add_all([Person(name="li.na"), Person(name="zhang.wei")])
        kept = save(session, "kept", datetime(2026, 4, 1), author="li.na", text="One.")
        save(session, "kept", datetime(2026, 4, 2), author="zhang.wei", text="Wrong.")
        save(session, "kept", datetime(2026, 4, 3), author="li.na", text="One.")  # reverts
        twin = save(session, "twin", datetime(2026, 4, 4), author="zhang.wei", text="One!")
        set_status(session, twin, "deleted", actor="li.na", duplicate_of=kept)
        wrong = save(session, "wrong", datetime(2026, 4, 4), author="zhang.wei", text="Two.")
        set_status(session, wrong, "deleted", actor="li.na")
        save(session, "imported", datetime(2026, 4, 5), author=IMPORT_IDENTITY)
        save(session, "by-ghost", datetime(2026, 4, 5), author="ghost")
        for document, day in ((kept, 6), (twin, 7)):
            record_reuse(session, document, proposal_ref=f"P-{day}", user="zhang.wei")
        ghost = session.exec(select(Document).where(Document.source_id == "by-ghost")).one()
        record_reuse(session, ghost, proposal_ref="P-8", user="li.na")
    found = rows(engine)
    li, zhang = found["li.na"], found["zhang.wei"]
    assert (li["documents_created"], li["versions_written"], li["versions_reverted"]) == (1, 2, 0)
    assert (zhang["documents_created"], zhang["documents_deleted"]) == (0, 1)
    assert zhang["duplicates_deleted"] == 1  # the twin, apart from the plain deletion
    assert (zhang["versions_written"], zhang["versions_reverted"]) == (2, 1)
    assert IMPORT_IDENTITY not in found
    assert li["reused_by_others"] == 1  # only the reuse by someone else of a person's version
    assert found["ghost"]["reused_by_others"] == 0  # nobody kb knows: not credited


def test_a_duplicate_must_name_another_document_that_is_kept(engine: Engine) -> None:
    with transaction(engine) as session:
        kept = save(session, "kept", datetime(2026, 4, 1), author="li.na")
        twin = save(session, "twin", datetime(2026, 4, 2), author="li.na", text="Twin.")
        gone = save(session, "gone", datetime(2026, 4, 3), author="li.na", text="Gone.")
        set_status(session, gone, "deleted", actor="boss")
        for status, original, problem in (
            ("archived", kept, "only then"),
            ("deleted", twin, "itself"),
            ("deleted", gone, "deleted itself"),
        ):
            with pytest.raises(InvalidInput, match=problem):
                set_status(session, twin, status, actor="boss", duplicate_of=original)
        assert twin.status == "active"
        set_status(session, twin, "deleted", actor="boss")  # later named a duplicate
        set_status(session, twin, "active", actor="boss")
        set_status(session, twin, "deleted", actor="boss", duplicate_of=kept)
    li = rows(engine)["li.na"]
    assert (li["documents_created"], li["documents_deleted"], li["duplicates_deleted"]) == (1, 1, 1)
