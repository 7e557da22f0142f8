"""The outbox: notifications are rows written in the same transaction as the change they
report, one delivery per channel the recipient chose; a dispatcher sends them later
(kb/dispatch.py), so a change never waits for (or is lost with) a mail server or a webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb.clock import utcnow
from kb.errors import InvalidInput
from kb.models import Delivery, Notification, NotificationPreference
from kb.people import find_person
from kb.vocabulary import Topic

WEBHOOK_FORMATS = ("wecom", "dingtalk", "feishu", "json")
DELIVERY_STATUSES = ("pending", "sent", "failed")
MAX_WEBHOOKS = 5


@dataclass(frozen=True)
class Message:
    topic: Topic
    subject: str
    body: str
    document_id: int | None = None


def notify(session: Session, recipient: str | None, key: str, message: Message) -> bool:
    """Queue `message` for `recipient` (an active person) under idempotency key `key`, with a
    delivery per channel they chose. Returns False when nothing was queued: no such active
    person, or a notification with that key exists already."""
    person = find_person(session, recipient) if recipient else None
    if person is None or person.disabled:
        return False
    if session.exec(select(Notification.id).where(Notification.key == key)).first():
        return False
    notification = Notification(
        key=key,
        recipient=person.name,
        topic=message.topic,
        subject=message.subject,
        body=message.body,
        document_id=message.document_id,
    )
    session.add(notification)
    session.flush()
    assert notification.id is not None
    for channel, target in channels_of(preference_of(session, person.name)):
        session.add(
            Delivery(
                notification_id=notification.id,
                key=f"{key}/{channel}/{target}"[:500],
                channel=channel,
                target=target,
                next_attempt_at=utcnow(),
            )
        )
    return True


def channels_of(preference: NotificationPreference) -> list[tuple[str, str]]:
    """(channel, target) pairs: email to the address, each webhook in its format."""
    found = [("email", preference.email)] if preference.email else []
    for hook in preference.webhooks:
        channel = "webhook" if hook["format"] == "json" else hook["format"]
        found.append((channel, hook["url"]))
    return found


def preference_of(session: Session, person: str) -> NotificationPreference:
    return session.get(NotificationPreference, person) or NotificationPreference(person=person)


def set_preference(
    session: Session,
    person: str,
    *,
    email: str | None,
    webhooks: list[dict[str, str]],
    mute_digest: bool,
) -> NotificationPreference:
    """Choose channels: an email address (None: no email) and webhooks `{format, url}`."""
    if email is not None and ("@" not in email or any(ch.isspace() for ch in email)):
        raise InvalidInput(f"'{email}' is not an email address")
    if len(webhooks) > MAX_WEBHOOKS:
        raise InvalidInput(f"{len(webhooks)} webhooks; the limit is {MAX_WEBHOOKS}")
    for hook in webhooks:
        if hook.get("format") not in WEBHOOK_FORMATS:
            raise InvalidInput(
                f"webhook format '{hook.get('format')}' is not one of {', '.join(WEBHOOK_FORMATS)}"
            )
        if not str(hook.get("url", "")).startswith(("http://", "https://")):
            raise InvalidInput(f"webhook url '{hook.get('url')}' must start with http(s)://")
    preference = preference_of(session, person)
    preference.email = email
    preference.webhooks = [{"format": h["format"], "url": h["url"]} for h in webhooks]
    preference.mute_digest = mute_digest
    session.add(preference)
    return preference


def deliveries(
    session: Session, *, status: str | None = None, recipient: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Deliveries newest first, with their notification, for `recipient` or everyone."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidInput(f"unknown status '{status}'; use one of {', '.join(DELIVERY_STATUSES)}")
    query = (
        select(Delivery, Notification)
        .join(Notification, col(Notification.id) == Delivery.notification_id)
        .order_by(col(Delivery.id).desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Delivery.status == status)
    if recipient is not None:
        query = query.where(Notification.recipient == recipient)
    return [_delivery_row(d, n) for d, n in session.exec(query)]


def _delivery_row(delivery: Delivery, notification: Notification) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "key": delivery.key,
        "recipient": notification.recipient,
        "topic": notification.topic,
        "subject": notification.subject,
        "document_id": notification.document_id,
        "channel": delivery.channel,
        "target": delivery.target,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": delivery.last_error,
        "sent_at": delivery.sent_at,
        "created_at": notification.created_at,
    }


def inbox(session: Session, recipient: str, limit: int = 100) -> list[Notification]:
    """A person's notifications, newest first (whatever their channels)."""
    return list(
        session.exec(
            select(Notification)
            .where(Notification.recipient == recipient)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        )
    )
