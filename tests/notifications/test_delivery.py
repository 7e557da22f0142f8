"""Delivering the outbox: every channel against real receivers, retries, failures, digests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kb.channels import message_id
from kb.clock import utcnow
from kb.config import Settings
from kb.db import transaction
from kb.dispatch import dispatch
from kb.documents import build_draft
from kb.models import Delivery
from kb.outbox import Message, deliveries, notify, set_preference
from kb.store import save_draft
from tests.notifications.conftest import Mailbox, Receiver

HELLO = Message("review_request", "Review requested: 报价说明", "请复核这份文档。", None)


def choose(
    engine: Engine, person: str, receiver: Receiver, *formats: str, email: bool = True
) -> None:
    hooks = [{"format": f, "url": f"{receiver.url}/{f}"} for f in formats]
    with transaction(engine) as session:
        set_preference(
            session,
            person,
            email=f"{person}@example.com" if email else None,
            webhooks=hooks,
            mute_digest=False,
        )


def test_one_notification_reaches_every_channel_once(
    notify_engine: Engine, notify_settings: Settings, receiver: Receiver, mailbox: Mailbox
) -> None:
    choose(notify_engine, "li.na", receiver, "wecom", "dingtalk", "feishu", "json")
    with transaction(notify_engine) as session:
        assert notify(session, "li.na", "hello/1", HELLO) is True
        assert notify(session, "li.na", "hello/1", HELLO) is False  # same key: queued once
        assert notify(session, "nobody", "hello/2", HELLO) is False
    report = dispatch(notify_engine, notify_settings)
    assert (report.sent, report.failed, report.errors) == (5, 0, [])
    bodies = {p["path"]: p["body"] for p in receiver.posts}
    assert bodies["/wecom"]["msgtype"] == "markdown"
    assert "报价说明" in bodies["/wecom"]["markdown"]["content"]
    assert bodies["/dingtalk"]["markdown"]["title"] == HELLO.subject
    assert bodies["/feishu"] == {
        "msg_type": "text",
        "content": {"text": f"{HELLO.subject}\n\n{HELLO.body}"},
    }
    assert bodies["/json"]["subject"] == HELLO.subject and bodies["/json"]["key"].startswith(
        "hello/1/"
    )
    assert len({p["key"] for p in receiver.posts}) == 4
    [mail] = mailbox.messages
    assert (mail["To"], mail["Subject"]) == ("li.na@example.com", HELLO.subject)
    assert mail["Message-ID"] == message_id(mail["X-KB-Key"])
    assert dispatch(notify_engine, notify_settings).sent == 0  # nothing sent twice
    assert len(receiver.posts) == 4


def test_failures_are_retried_then_marked_failed(
    notify_engine: Engine, notify_settings: Settings, receiver: Receiver
) -> None:
    hooks = [
        {"format": "json", "url": f"{receiver.url}/down"},
        {"format": "wecom", "url": f"{receiver.url}/refuse"},
    ]
    with transaction(notify_engine) as session:
        set_preference(session, "li.na", email=None, webhooks=hooks, mute_digest=False)
        notify(session, "li.na", "hello/3", HELLO)
    first = dispatch(notify_engine, notify_settings)
    assert (first.sent, first.retrying, first.failed) == (0, 2, 0)
    second = dispatch(notify_engine, notify_settings)
    assert (second.sent, second.retrying, second.failed) == (0, 0, 2)
    with Session(notify_engine) as session:
        failed = deliveries(session, status="failed")
    errors = sorted(row["last_error"] for row in failed)
    assert "answered 500" in errors[0] and "93000 invalid webhook url" in errors[1]
    assert [row["attempts"] for row in failed] == [2, 2]
    assert len(receiver.posts) == 4


def test_back_off_waits_before_a_retry(
    notify_engine: Engine, notify_settings: Settings, receiver: Receiver
) -> None:
    settings = notify_settings.model_copy(update={"notify_retry_seconds": 600.0})
    with transaction(notify_engine) as session:
        set_preference(
            session,
            "li.na",
            email=None,
            webhooks=[{"format": "json", "url": f"{receiver.url}/down"}],
            mute_digest=False,
        )
        notify(session, "li.na", "hello/4", HELLO)
    assert dispatch(notify_engine, settings).retrying == 1
    assert dispatch(notify_engine, settings).retrying == 0  # not due for ten minutes
    with Session(notify_engine) as session:
        [delivery] = session.exec(select(Delivery)).all()
    assert delivery.status == "pending" and delivery.next_attempt_at >= utcnow() + timedelta(
        seconds=590
    )


def test_email_without_smtp_settings_fails_with_a_clear_error(
    notify_engine: Engine, notify_settings: Settings, receiver: Receiver
) -> None:
    settings = notify_settings.model_copy(update={"smtp_host": None, "notify_max_attempts": 1})
    choose(notify_engine, "li.na", receiver)
    with transaction(notify_engine) as session:
        notify(session, "li.na", "hello/5", HELLO)
    report = dispatch(notify_engine, settings)
    assert report.failed == 1 and "KB_SMTP_HOST" in report.errors[0]


def test_weekly_digest_per_owner_once_a_week_unless_muted(
    notify_engine: Engine, notify_settings: Settings, receiver: Receiver
) -> None:
    old = utcnow() - timedelta(days=400)
    with transaction(notify_engine) as session:
        for source_id, owner in (("qa-li", "li.na"), ("qa-wang", "wang.fang")):
            fields = {"id": source_id, "kind": "qa", "owner": owner, "question": "Q?"}
            draft = build_draft(
                fields, "A.", origin=source_id, default_id=source_id, default_title=source_id
            )
            save_draft(session, draft, [], author=owner, now=old)
    choose(notify_engine, "li.na", receiver, "json", email=False)
    with transaction(notify_engine) as session:
        set_preference(
            session,
            "wang.fang",
            email=None,
            webhooks=[{"format": "json", "url": f"{receiver.url}/json"}],
            mute_digest=True,
        )
    settings = notify_settings.model_copy(update={"digest_weekday": 0})
    first = dispatch(notify_engine, settings)
    assert (first.digests, first.sent) == (1, 1)
    assert dispatch(notify_engine, settings).digests == 0  # once a week
    [post] = receiver.posts
    assert post["key"].startswith("digest/li.na/") and "qa-li" in post["body"]["body"]
