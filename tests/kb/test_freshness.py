from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine

from api.context import Context
from kb.access import Viewer
from kb.db import transaction
from kb.errors import InvalidInput
from kb.freshness import archive_candidates, audit_freshness, freshness_of, status_counts
from kb.models import Document, Grant, Person, Reuse
from kb.people import import_people
from tests.conftest import CONTENT

VERIFIED = datetime(2026, 1, 1)


def doc(kind: str = "qa", *, verified: datetime | None = VERIFIED, **fields: object) -> Document:
    fields.setdefault("updated_at", datetime(2025, 1, 1))
    return Document(source_id=f"{kind}-doc", kind=kind, title="t", content_date=verified, **fields)


@pytest.mark.parametrize(
    ("kind", "days"),
    [("competitor_intel", 90), ("product_note", 180), ("qa", 180), ("proposal", 365)],
)
def test_each_kind_is_due_one_interval_after_verification(kind: str, days: int) -> None:
    found = freshness_of(doc(kind), now=VERIFIED, owner_active=True)
    assert found.interval_days == days
    assert found.due_at == VERIFIED + timedelta(days=days)
    assert (found.status, found.score, found.days_overdue) == ("fresh", 100, 0)


def test_bid_results_never_go_stale() -> None:
    found = freshness_of(doc("bid_result"), now=VERIFIED + timedelta(days=3000), owner_active=True)
    assert (found.status, found.score, found.interval_days, found.due_at) == (
        "fresh",
        100,
        None,
        None,
    )


def test_review_interval_in_metadata_overrides_the_kind() -> None:
    document = doc("qa", meta={"review_interval_days": 30})
    found = freshness_of(document, now=VERIFIED + timedelta(days=31), owner_active=True)
    assert (found.interval_days, found.status, found.days_overdue) == (30, "stale", 1)


@pytest.mark.parametrize(
    ("before_due", "status"),
    [
        (timedelta(days=15), "fresh"),
        (timedelta(days=14, seconds=1), "fresh"),
        (timedelta(days=14), "due_soon"),
        (timedelta(days=1), "due_soon"),
        (timedelta(0), "due_soon"),
        (-timedelta(seconds=1), "stale"),
    ],
)
def test_due_soon_starts_fourteen_days_before_due(before_due: timedelta, status: str) -> None:
    due = VERIFIED + timedelta(days=180)
    assert freshness_of(doc(), now=due - before_due, owner_active=True).status == status


def test_due_soon_window_is_configurable() -> None:
    now = VERIFIED + timedelta(days=180 - 20)
    assert freshness_of(doc(), now=now, owner_active=True).status == "fresh"
    assert freshness_of(doc(), now=now, owner_active=True, due_soon_days=30).status == "due_soon"


def test_days_overdue_counts_whole_days_past_due() -> None:
    due = VERIFIED + timedelta(days=180)
    assert freshness_of(doc(), now=due + timedelta(hours=23), owner_active=True).days_overdue == 0
    assert (
        freshness_of(doc(), now=due + timedelta(days=3, hours=1), owner_active=True).days_overdue
        == 3
    )


@pytest.mark.parametrize(
    ("age_days", "score"),
    [(0, 100), (45, 88), (90, 75), (180, 50), (270, 25), (360, 0), (1000, 0), (-10, 100)],
)
def test_score_falls_linearly_to_50_at_due_and_0_at_two_intervals(
    age_days: int, score: int
) -> None:
    now = VERIFIED + timedelta(days=age_days)
    assert freshness_of(doc(), now=now, owner_active=True).score == score


def test_last_verified_is_the_later_of_content_date_and_review() -> None:
    reviewed = VERIFIED + timedelta(days=100)
    assert (
        freshness_of(doc(reviewed_at=reviewed), now=reviewed, owner_active=True).last_verified
        == reviewed
    )
    earlier = VERIFIED - timedelta(days=100)
    assert (
        freshness_of(doc(reviewed_at=earlier), now=VERIFIED, owner_active=True).last_verified
        == VERIFIED
    )


def test_last_verified_falls_back_to_the_update_time() -> None:
    found = freshness_of(doc(verified=None), now=VERIFIED, owner_active=True)
    assert found.last_verified == datetime(2025, 1, 1)


def test_unowned_overrides_the_dates_but_keeps_them() -> None:
    fresh = freshness_of(doc(), now=VERIFIED, owner_active=False)
    assert (fresh.status, fresh.score, fresh.due_at) == (
        "unowned",
        25,
        VERIFIED + timedelta(days=180),
    )
    stale = freshness_of(doc(), now=VERIFIED + timedelta(days=200), owner_active=False)
    assert (stale.status, stale.score, stale.days_overdue) == ("unowned", 25, 20)


# -- audits over the store ------------------------------------------------------------------

NOW = datetime(2026, 11, 27)


def add_document(
    engine: Engine,
    source_id: str,
    *,
    days_old: int,
    kind: str = "qa",
    owner: str | None = "li.na",
    **fields: object,
) -> int:
    with transaction(engine) as session:
        document = Document(
            source_id=source_id,
            kind=kind,
            title=source_id,
            owner=owner,
            content_date=NOW - timedelta(days=days_old),
            **fields,
        )
        session.add(document)
        session.flush()
        assert document.id is not None
        return document.id


@pytest.fixture
def people(engine: Engine) -> Engine:
    with transaction(engine) as session:
        session.add_all(
            [
                Person(name="li.na", team="east"),
                Person(name="wang.fang", team="south"),
                Person(name="liu.yang", team="south", disabled=True),
            ]
        )
    return engine


def audit(engine: Engine, **filters: object) -> dict[str, str]:
    with transaction(engine) as session:
        rows = audit_freshness(session, now=NOW, **filters)
    return {row.source_id: row.freshness.status for row in rows}


def test_audit_reports_each_status_worst_first(people: Engine) -> None:
    add_document(people, "fresh", days_old=10)
    add_document(people, "due-soon", days_old=170)
    add_document(people, "stale", days_old=400)
    add_document(people, "leaver", days_old=10, owner="liu.yang")
    add_document(people, "nobody", days_old=10, owner=None)
    add_document(people, "stranger", days_old=10, owner="not.in.people")
    with transaction(people) as session:
        rows = audit_freshness(session, now=NOW)
    assert [r.source_id for r in rows][:1] == ["stale"]
    assert {r.source_id: r.freshness.status for r in rows} == {
        "fresh": "fresh",
        "due-soon": "due_soon",
        "stale": "stale",
        "leaver": "unowned",
        "nobody": "unowned",
        "stranger": "unowned",
    }
    scores = [r.freshness.score for r in rows]
    assert scores == sorted(scores)
    assert status_counts(rows) == {"fresh": 1, "due_soon": 1, "stale": 1, "unowned": 3}


def test_audit_filters(people: Engine) -> None:
    add_document(people, "east-qa", days_old=400)
    add_document(people, "south-intel", days_old=10, kind="competitor_intel", owner="wang.fang")
    add_document(people, "old", days_old=10, status="archived")
    assert set(audit(people)) == {"east-qa", "south-intel"}
    assert set(audit(people, owner="wang.fang")) == {"south-intel"}
    assert set(audit(people, team="east")) == {"east-qa"}
    assert set(audit(people, kind="competitor_intel")) == {"south-intel"}
    assert set(audit(people, status="stale")) == {"east-qa"}
    assert set(audit(people, status="archived")) == {"old"}
    assert set(audit(people, document_status="all")) == {"east-qa", "south-intel", "old"}


@pytest.mark.parametrize(
    "bad", [{"kind": "memo"}, {"status": "rotten"}, {"document_status": "gone"}]
)
def test_audit_rejects_unknown_filter_values(people: Engine, bad: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        audit(people, **bad)


def test_audit_hides_confidential_documents_from_others(people: Engine) -> None:
    secret = add_document(people, "secret", days_old=10, confidentiality="confidential")
    add_document(people, "open", days_old=10)
    with transaction(people) as session:
        session.add(Grant(document_id=secret, principal="team:south"))
    outsider = Viewer(name="chen.jie", role="contributor", team="solutions")
    grantee = Viewer(name="wang.fang", role="contributor", team="south")
    manager = Viewer(name="boss", role="manager")
    assert set(audit(people, viewer=outsider)) == {"open"}
    assert set(audit(people, viewer=grantee)) == {"open", "secret"}
    assert set(audit(people, viewer=manager)) == {"open", "secret"}


def test_archive_candidates_are_long_stale_unused_and_unread(people: Engine) -> None:
    add_document(people, "forgotten", days_old=400)  # qa: two intervals = 360 days
    add_document(people, "recent", days_old=300)
    add_document(people, "viewed", days_old=400, viewed_at=NOW - timedelta(days=30))
    reused = add_document(people, "reused", days_old=400)
    add_document(people, "old-viewed", days_old=400, viewed_at=NOW - timedelta(days=365))
    add_document(people, "bid", days_old=4000, kind="bid_result")
    with transaction(people) as session:
        session.add(
            Reuse(document_id=reused, version=1, proposal_ref="P-1", at=NOW - timedelta(days=100))
        )
    with transaction(people) as session:
        found = {r.source_id for r in archive_candidates(session, now=NOW)}
    assert found == {"forgotten", "old-viewed"}


def test_sample_content_shows_every_status(context: Context) -> None:
    people = yaml.safe_load((CONTENT / "people.yaml").read_text(encoding="utf-8"))
    with transaction(context.engine) as session:
        import_people(session, people)
    report = context.ingester.ingest_paths([Path(CONTENT)])
    assert report.added and not report.failed
    with transaction(context.engine) as session:
        rows = audit_freshness(session, now=NOW)
    counts = status_counts(rows)
    assert all(counts[status] > 0 for status in ("fresh", "due_soon", "stale", "unowned")), counts
    leavers = {r.owner for r in rows if r.owner and r.freshness.status == "unowned"}
    assert "liu.yang" in leavers
