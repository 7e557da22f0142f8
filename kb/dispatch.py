"""The dispatcher: delivers the outbox at least once. A delivery is taken with a lease
(`claimed_until`), sent, then marked sent; a dispatcher that dies mid-delivery leaves the
lease to run out, and the next one sends it again with the same idempotency key. Failures
are retried with doubling waits, then marked failed. It also queues each owner's weekly
stale / due-soon digest."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kb.channels import DeliveryFailed, Outgoing, send
from kb.clock import utcnow
from kb.config import Settings
from kb.db import transaction
from kb.freshness import audit_freshness
from kb.models import Delivery, Notification, Person
from kb.outbox import Message, notify, preference_of
from kb.vocabulary import Topic

log = logging.getLogger(__name__)
DIGEST_STATUSES = ("stale", "due_soon")


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def dispatch(engine: Engine, settings: Settings, *, limit: int = 500) -> DispatchReport:
    """Queue due digests, then deliver what is due (each delivery tried at most once)."""
    report = DispatchReport(digests=queue_digests(engine, settings, utcnow()))
    tried: set[int] = set()
    while len(tried) < limit:
        claimed = claim_next(engine, settings, tried)
        if claimed is None:
            break
        delivery_id, outgoing = claimed
        tried.add(delivery_id)
        try:
            send(outgoing, settings)
        except DeliveryFailed as exc:
            outcome = record_failure(engine, settings, delivery_id, exc.message)
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.errors.append(f"{outgoing.key}: {exc.message}")
            continue
        record_sent(engine, delivery_id)
        report.sent += 1
    return report


def claim_next(engine: Engine, settings: Settings, skip: set[int]) -> tuple[int, Outgoing] | None:
    """Take the oldest due delivery nobody holds: a compare-and-set of its lease, so two
    dispatchers never send the same delivery at once."""
    now = utcnow()
    with transaction(engine) as session:
        query = (
            select(Delivery, Notification)
            .join(Notification, col(Notification.id) == Delivery.notification_id)
            .where(
                Delivery.status == "pending",
                col(Delivery.next_attempt_at) <= now,
                or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now),
            )
            .order_by(col(Delivery.id))
            .limit(len(skip) + 1)
        )
        for delivery, notification in session.exec(query):
            if delivery.id in skip:
                continue
            taken = session.execute(
                update(Delivery)
                .where(
                    col(Delivery.id) == delivery.id,
                    or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now),
                )
                .values(
                    claimed_until=now + timedelta(seconds=settings.notify_lease_seconds),
                    attempts=Delivery.attempts + 1,
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue
            assert delivery.id is not None
            return delivery.id, Outgoing(
                delivery.key,
                delivery.channel,
                delivery.target,
                notification.topic,
                notification.subject,
                notification.body,
            )
    return None


def record_sent(engine: Engine, delivery_id: int) -> None:
    with transaction(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.status, delivery.sent_at = "sent", utcnow()
        delivery.claimed_until, delivery.last_error = None, None
        session.add(delivery)


def record_failure(engine: Engine, settings: Settings, delivery_id: int, error: str) -> str:
    """Retry later (the wait doubles each time) or, out of attempts, mark failed. Returns
    the report field it counts under: retrying or failed."""
    with transaction(engine) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        delivery.last_error, delivery.claimed_until = error[:2000], None
        if delivery.attempts >= settings.notify_max_attempts:
            delivery.status = "failed"
        else:
            wait = settings.notify_retry_seconds * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
        session.add(delivery)
        return "failed" if delivery.status == "failed" else "retrying"


def queue_digests(engine: Engine, settings: Settings, now: datetime) -> int:
    """From the digest weekday on, once per ISO week: each active owner with stale or
    due-soon documents who has not muted digests gets a digest listing them."""
    if now.weekday() < settings.digest_weekday:
        return 0
    year, week, _ = now.isocalendar()
    queued = 0
    with transaction(engine) as session:
        rows = [
            r
            for r in audit_freshness(session, now=now, due_soon_days=settings.due_soon_days)
            if r.freshness.status in DIGEST_STATUSES and r.owner
        ]
        for owner in sorted({r.owner for r in rows if r.owner}):
            if not _wants_digest(session, owner):
                continue
            mine = [r for r in rows if r.owner == owner]
            lines = [
                f"- [{r.freshness.status}] {r.title} (document {r.document_id}, due "
                f"{r.freshness.due_at.date() if r.freshness.due_at else '-'})"
                for r in mine
            ]
            message = Message(
                Topic.digest,
                f"kb weekly digest: {len(mine)} document(s) to review",
                "Documents you own that are stale or due soon:\n" + "\n".join(lines),
            )
            queued += notify(session, owner, f"digest/{owner}/{year}-W{week:02d}", message)
    return queued


def _wants_digest(session: Session, owner: str) -> bool:
    person = session.exec(select(Person).where(Person.name == owner)).first()
    return (
        person is not None and not person.disabled and not preference_of(session, owner).mute_digest
    )


def run_periodically(engine: Engine, settings: Settings, stop: threading.Event) -> None:
    """The background dispatcher of `kb serve`: a pass every KB_NOTIFY_INTERVAL_SECONDS in its
    own thread and sessions, so requests never wait for it; errors are logged, not raised."""
    while not stop.wait(settings.notify_interval_seconds):
        try:
            report = dispatch(engine, settings)
        except Exception:  # noqa: BLE001 - the loop must outlive a bad pass
            log.exception("notification dispatch failed; retrying next interval")
            continue
        if report.sent or report.failed:
            log.info("notifications: %s sent, %s failed", report.sent, report.failed)
